# bastion::docker: Debian's Docker Engine, then the services that need it: the metadata
# proxy (which refuses to start without its iptables rules) and the shell's gc timer.
package 'docker.io'

service 'docker' do
  action [:enable, :start]
end

service 'bastion-metadataproxy' do
  action [:enable, :start]
end

service 'bastion-shell-gc.timer' do
  action [:enable, :start]
end

# bastion::docker: Debian's Docker Engine, then the services that need it: the metadata
# proxy (which refuses to start without its iptables rules), the session broker that
# every login connects to, and the shell's gc timer. Restarts after a build, a config or
# a unit changed are notified by the app, config and host recipes.
package 'docker.io'

service 'docker' do
  action [:enable, :start]
end

service 'bastion-metadataproxy' do
  action [:enable, :start]
end

service 'bastion-shell-broker' do
  action [:enable, :start]
end

service 'bastion-shell-gc.timer' do
  action [:enable, :start]
end

# bastion::host: the host side of the suite, all through `bastion setup`: the systemd
# units, the fail-closed IMDS iptables rules (before Docker runs any container, and at
# every boot through bastion-imds-firewall, ordered Before=docker.service),
# bastion-shell's login shell, its client, the containers' agent, the session broker's
# wrapper and the /etc/shells entry, and the sshd drop-in. Plus the site's own sshd
# settings, in a drop-in read after the suite's. The login path needs no sudo: setup
# removes the sudoers rule of earlier versions.
package %w(iptables openssh-server)

template '/etc/ssh/sshd_config.d/zz-bastion-site.conf' do
  source 'sshd-site.conf.erb'
  owner 'root'
  group 'root'
  mode '0644'
  variables(sshd: Bastion::Helpers.plain(node['bastion']['sshd']))
  verify '/usr/sbin/sshd -t -f %{path}'
  notifies :reload, 'service[ssh]', :delayed
end

# A changed unit or broker wrapper takes a restart to apply (setup restarts a running
# broker itself only for the wrapper).
bastion_setup 'host' do
  steps %w(config units iptables shell sshd)
  notifies :restart, 'service[bastion-shell-broker]', :delayed
  notifies :restart, 'service[bastion-ship]', :delayed if Bastion::Helpers.ship_enabled?(node)
end

service 'ssh' do
  action :nothing
end

service 'bastion-imds-firewall' do
  action [:enable, :start]
end

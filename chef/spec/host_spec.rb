# bastion::host and the site's sshd drop-in.
describe 'bastion::host' do
  let(:run) { converge('bastion::host') }
  let(:site) { run.render('/etc/ssh/sshd_config.d/zz-bastion-site.conf') }

  it 'installs what setup calls (iptables, sshd) before it runs, and no sudo: the login path needs none' do
    expect(run.resources.first.to_s).to eq('package[iptables, openssh-server]')
  end

  it "renders the site's sshd settings, each checked by sshd -t before it is used" do
    expect(site).to include("AllowGroups bastion-users ops\n", "LogLevel VERBOSE\n")
    expect(site).not_to match(/^(ClientAlive|MaxStartups)/)
    template = run.find(:template, '/etc/ssh/sshd_config.d/zz-bastion-site.conf')
    expect(template[:verify]).to eq('/usr/sbin/sshd -t -f %{path}')
    expect(template.notifications).to include(action: :reload, target: 'service[ssh]', timing: :delayed)
  end

  it "sits beside the suite's bastion.conf and sorts after it, so the suite's values win" do
    path = run.of_type(:template).map(&:name).grep(%r{\A/etc/ssh/sshd_config\.d/}).first
    expect(::File.dirname(path)).to eq('/etc/ssh/sshd_config.d')
    expect([::File.basename(path), 'bastion.conf'].sort.last).to eq(::File.basename(path))
  end

  it 'writes no AllowGroups line when no group is given' do
    none = converge('bastion::host', attributes: { 'bastion' => { 'sshd' => { 'allow_groups' => [] } } })
    expect(none.render('/etc/ssh/sshd_config.d/zz-bastion-site.conf')).not_to include('AllowGroups')
  end

  it "refuses the attributes of settings that are now the suite's, which sshd would ignore" do
    %w(client_alive_interval client_alive_count_max max_startups).each do |gone|
      bad = converge('bastion::host', attributes: { 'bastion' => { 'sshd' => { gone => 300 } } })
      expect { bad.render('/etc/ssh/sshd_config.d/zz-bastion-site.conf') }.to raise_error(ArgumentError, /#{gone}.*no longer used/)
    end
  end
end

describe 'bastion::image' do
  it 'builds through bastion setup when no registry image is given' do
    run = converge('bastion::image')
    expect(run.of_type(:execute)).to eq([])
    expect(run.find(:bastion_setup, 'image')[:steps]).to eq(%w(image))
  end

  it 'pulls and tags a registry image, each guarded, before setup checks it' do
    run = converge('bastion::image', attributes: { 'bastion' => { 'image' => { 'pull' => 'registry.example/toolbox@sha256:ab' } } })
    expect(run.resources.map(&:to_s)).to eq(['execute[docker pull registry.example/toolbox@sha256:ab]',
                                             'execute[docker tag registry.example/toolbox@sha256:ab bastion/toolbox:1.4.0]',
                                             'bastion_setup[image]'])
    expect(run.of_type(:execute).map { |r| r.guards.length }).to eq([1, 1])
    expect(run.find(:execute, 'docker tag registry.example/toolbox@sha256:ab bastion/toolbox:1.4.0')[:command]).to eq(%w(docker tag registry.example/toolbox@sha256:ab bastion/toolbox:1.4.0))
  end
end

# bastion::config and its template: the attributes become bastion.yaml as they are, plus
# the users' roles, without Chef's object tags and without nil keys.
describe 'bastion::config' do
  let(:run) { converge('bastion::config') }
  let(:yaml) { YAML.safe_load(run.render('/etc/bastion/bastion.yaml')) }

  it 'renders the attributes as YAML' do
    expect(yaml['aws']).to eq('accountId' => '123456789012', 'region' => 'eu-west-1')
    expect(yaml['network']).to eq('name' => 'bastion', 'bridge' => 'bastion0', 'subnet' => '10.250.0.0/24')
    expect(yaml['shell']['image']).to eq('bastion/toolbox:1.4.0')
    expect(yaml['clusters'].map { |c| c['name'] }).to eq(%w(prod-eu staging))
  end

  it "adds each user's role to shell.roles, and only roles that differ from the name" do
    expect(yaml['shell']['roles']).to eq('carol' => 'carol-readonly', 'ops-ana' => 'ana-admin')
  end

  it 'keeps the account id a string (YAML would read 123456789012 as a number)' do
    expect(run.render('/etc/bastion/bastion.yaml')).to match(/accountId: '123456789012'/)
  end

  it 'leaves out nil attributes, so the suite applies its defaults (and rejects a missing account)' do
    bare = converge('bastion::config', base: {})
    text = bare.render('/etc/bastion/bastion.yaml')
    expect(YAML.safe_load(text)['aws']).to eq('region' => 'us-east-1')
    expect(text).not_to include('!ruby')
  end

  it 'starts with a comment saying where the file comes from' do
    expect(run.render('/etc/bastion/bastion.yaml').lines.first).to start_with('# /etc/bastion/bastion.yaml: written by Chef')
  end
end

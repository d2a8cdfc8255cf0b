# bastion::users: accounts and keys from attributes and the data bag, then one
# `bastion setup users` with every name.
describe 'bastion::users' do
  let(:run) { converge('bastion::users') }

  it 'merges the attribute users and the data bag, by login name' do
    expect(run.of_type(:user).map(&:name)).to eq(%w(a@corp carol john.smith ops-ana))
  end

  it 'never sets the login shell in the user resource: bastion setup owns it' do
    run.of_type(:user).each { |u| expect(u.properties).not_to have_key(:shell) }
    expect(run.find(:user, 'ops-ana').properties).to include(comment: 'Ana (on call)', home: '/home/ops-ana', manage_home: true)
  end

  it "writes each user's authorized keys, owned by them, mode 0600" do
    keys = run.find(:file, '/home/carol/.ssh/authorized_keys')
    expect(keys.properties).to include(owner: 'carol', mode: '0600')
    expect(keys[:content]).to eq("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICarolKeyCarolKeyCarolKeyCarolKeyCarol00 carol@laptop\n")
    expect(run.find(:file, '/home/ops-ana/.ssh/authorized_keys')[:content]).to eq('')
    expect(run.find(:directory, '/home/carol/.ssh').properties).to include(owner: 'carol', mode: '0700')
  end

  it 'hands every user to bastion setup users' do
    setup = run.find(:bastion_setup, 'users')
    expect(setup[:steps]).to eq(%w(users))
    expect(setup[:users]).to eq(%w(a@corp carol john.smith ops-ana))
  end

  it 'makes no account when there are none, and still runs bastion setup users for the keys command' do
    none = converge('bastion::users', base: {})
    expect(none.of_type(:user)).to eq([])
    setup = none.find(:bastion_setup, 'users')
    expect(setup[:users]).to eq([])
    expect(setup.guards).to eq([]), 'the keys command is needed by the accounts from IAM too'
    expect(none.find(:service, 'bastion-users-sync.timer').actions).to eq(%i(enable start))
  end

  it 'refuses a name that cannot be a Unix user' do
    expect { converge('bastion::users', base: {}, attributes: { 'bastion' => { 'users' => { '-rf' => {} } } }) }
      .to raise_error(ArgumentError, /cannot be Unix users: -rf/)
  end
end

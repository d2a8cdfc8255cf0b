# bastion::ship: the log shipper's unit, on only with ship.enabled, restarted when its
# code, its config or its unit changes.
describe 'bastion::ship' do
  it 'enables and starts bastion-ship with ship.enabled' do
    expect(converge('bastion::ship').find(:service, 'bastion-ship').actions).to eq(%i(enable start))
  end

  it 'stops and disables it by default, and then nothing restarts it' do
    off = converge('bastion::default', attributes: { 'bastion' => { 'config' => { 'ship' => { 'enabled' => false } } } })
    expect(off.find(:service, 'bastion-ship').actions).to eq(%i(stop disable))
    off.resources.flat_map(&:notifications).each { |n| expect(n[:target]).not_to eq('service[bastion-ship]') }
    expect(converge('bastion::ship', base: {}).find(:service, 'bastion-ship').actions).to eq(%i(stop disable))
  end

  it 'restarts it after a new build, a config change or a host setup change (its unit), never at once' do
    run = converge('bastion::default')
    [[:execute, 'build the bastion suite'], [:template, '/etc/bastion/bastion.yaml'], [:bastion_setup, 'host']].each do |type, name|
      expect(run.find(type, name).notifications).to include(action: :restart, target: 'service[bastion-ship]', timing: :delayed), "#{type}[#{name}]"
    end
  end
end

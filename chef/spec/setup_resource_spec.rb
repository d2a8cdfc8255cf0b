# The bastion_setup custom resource: it asks `bastion setup --check` and converges only
# when the suite reports pending changes, reporting exactly those lines.
describe 'bastion_setup' do
  let(:klass) { ChefStub::Runner.new(attributes: EXAMPLE_ATTRIBUTES).custom_resources.fetch(:bastion_setup) }
  let(:node) { ChefStub::Runner.new(attributes: EXAMPLE_ATTRIBUTES).node }
  let(:base) { ['/opt/bastion/node/bin/node', '/opt/bastion/app/packages/admin/dist/bin/bastion.js', '--config', '/etc/bastion/bastion.yaml', 'setup'] }

  def run_action(why_run: false, **properties, &shell)
    ChefStub::ActionRun.new(klass, node, properties, shell: shell, why_run: why_run).tap do |r|
      r.instance_exec(&klass.actions.fetch(:run))
    end
  end

  it 'declares the properties the recipes use, with defaults from the node' do
    expect(klass.properties.keys).to include(:steps, :users, :command, :config_path, :timeout)
    expect(klass.actions.keys).to eq([:run])
  end

  it 'does nothing when --check says there is nothing to change' do
    run = run_action(steps: %w(units iptables)) { |_argv, _opts| { exitstatus: 0, stdout: "setup: no changes\n" } }
    expect(run.commands).to eq([base + %w(units iptables --check)])
    expect(run.converged).to eq([])
  end

  it "converges with the suite's own lines when --check exits 2, then runs setup for real" do
    answers = [{ exitstatus: 2, stdout: "iptables: would add nat chain BASTION-IMDS\nusers: would set the login shell of carol to /usr/local/bin/bastion-shell (was /bin/bash)\nsetup --check: 2 changes pending\n" },
               { exitstatus: 0, stdout: "iptables: added nat chain BASTION-IMDS\nsetup: 2 changes\n" }]
    run = run_action(steps: %w(iptables users), users: %w(carol a@corp)) { |_argv, _opts| answers.shift }
    expect(run.converged).to eq([['iptables: would add nat chain BASTION-IMDS', 'users: would set the login shell of carol to /usr/local/bin/bastion-shell (was /bin/bash)']])
    expect(run.commands).to eq([base + %w(iptables users --user carol --user a@corp --check), base + %w(iptables users --user carol --user a@corp)])
  end

  it 'in why-run mode reports the pending changes and runs nothing else' do
    run = run_action(steps: %w(units), why_run: true) { |_a, _o| { exitstatus: 2, stdout: "units: would create /etc/systemd/system/x.service\n" } }
    expect(run.converged).to eq([['units: would create /etc/systemd/system/x.service']])
    expect(run.commands.length).to eq(1)
  end

  it 'fails the Chef run with the suite\'s message when --check fails' do
    expect do
      run_action(steps: %w(config)) { |_a, _o| { exitstatus: 1, stderr: "bastion: /etc/bastion/bastion.yaml is not a valid bastion config (BASTION_ADMIN_HOST_CONFIG_INVALID)\n" } }
    end.to raise_error(RuntimeError, /--check failed \(exit 1\): bastion: .*BASTION_ADMIN_HOST_CONFIG_INVALID/)
  end

  it 'fails when setup itself fails after a check that found changes' do
    answers = [{ exitstatus: 2, stdout: "shell: would create /usr/local/bin/bastion-shell\n" }, { exitstatus: 1, stderr: 'install.sh failed' }]
    expect { run_action(steps: %w(shell)) { |_a, _o| answers.shift } }.to raise_error(RuntimeError, /failed with 1/)
  end

  it 'gives the real run the long timeout (an image build takes a while) and the check a short one' do
    timeouts = []
    answers = [{ exitstatus: 2, stdout: "image: would build the toolbox image x\n" }, { exitstatus: 0 }]
    run_action(steps: %w(image)) { |_a, opts| timeouts << opts[:timeout]; answers.shift }
    expect(timeouts).to eq([300, 3600])
  end
end

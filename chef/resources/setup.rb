# bastion_setup: runs `bastion setup <steps>` only when the suite says something would
# change. `bastion setup --check` exits 0 when the host is as wanted, 2 with one line per
# pending change; those lines are what Chef reports (and all that why-run prints). The
# logic of each step lives in the suite, where it is tested on a real host.
unified_mode true
provides :bastion_setup

description 'Runs the bastion suite\'s idempotent `bastion setup` for some of its steps'

property :steps, Array, default: [], description: 'setup steps (config, units, iptables, shell, sshd, users, image, kubeconfig); empty: all'
property :users, Array, default: [], description: 'users who log in to bastion-shell (--user)'
property :command, Array, default: lazy { Bastion::Helpers.bastion_command(node) }, description: 'argv of the bastion command'
property :config_path, String, default: lazy { node['bastion']['config_path'] }
property :timeout, Integer, default: 3600, description: 'seconds; building the toolbox image takes a while'

# Exit status of `bastion setup --check` when something would change.
CHANGES_PENDING = 2 unless defined?(CHANGES_PENDING)

action :run do
  argv = new_resource.command + ['--config', new_resource.config_path, 'setup'] + new_resource.steps +
         new_resource.users.flat_map { |u| ['--user', u] }
  check = shell_out(*argv, '--check', timeout: 300)
  case check.exitstatus
  when 0
    logger.debug("bastion setup #{new_resource.steps.join(' ')}: no changes")
  when CHANGES_PENDING
    pending = check.stdout.lines.map(&:chomp).reject { |l| l.empty? || l.start_with?('setup') }
    converge_by(pending) do
      shell_out!(*argv, timeout: new_resource.timeout)
    end
  else
    raise "#{argv.join(' ')} --check failed (exit #{check.exitstatus}): #{check.stderr.strip}"
  end
end

# bastion::users: the bastion's users. Those in IAM need nothing here: bastion users sync
# (its timer, enabled below) makes their accounts from the access groups. Accounts kept
# outside IAM come from attributes or a data bag: their accounts and
# authorized keys here, then `bastion setup users`, which puts them in the shell's
# allowed group, makes bastion-shell their login shell and keeps them out of the docker
# group. The user resource leaves the shell alone, so the two never fight over it.
users = Bastion::Helpers.users(node, self)

users.each do |name, u|
  home = u['home'] || "/home/#{name}"

  user name do
    comment u['comment'] if u['comment']
    home home
    manage_home true
  end

  directory "#{home}/.ssh" do
    owner name
    mode '0700'
  end

  file "#{home}/.ssh/authorized_keys" do
    content((u['ssh_keys'] || []).map { |k| "#{k}\n" }.join)
    owner name
    mode '0600'
    sensitive false
  end
end

# Always: besides the accounts named here, the step installs sshd's AuthorizedKeysCommand
# (its user bastion-keys and the command) for the accounts that come from IAM.
bastion_setup 'users' do
  steps %w(users)
  users users.keys
end

# The accounts and keys from IAM (`bastion users sync`, docs/admin/users.md), every
# minute; with users.source none in the config it does nothing.
service 'bastion-users-sync.timer' do
  action [:enable, :start]
end

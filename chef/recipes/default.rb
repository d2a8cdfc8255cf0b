# bastion::default: a plain Debian 12 host becomes a bastion. The order matters: the
# suite and its config first, then the host side (units, the fail-closed iptables rules,
# bastion-shell, the sshd drop-in) before Docker runs, then the users, the toolbox image,
# the kubeconfig and the log shipper.
include_recipe 'bastion::node'
include_recipe 'bastion::app'
include_recipe 'bastion::config'
include_recipe 'bastion::host'
include_recipe 'bastion::docker'
include_recipe 'bastion::users'
include_recipe 'bastion::image'
include_recipe 'bastion::kubeconfig'
include_recipe 'bastion::ship'

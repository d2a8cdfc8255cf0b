# ssh-audit from PyPI in a virtualenv of its own: the outside auditor a security review
# runs against an SSH server first. integration/shell/ssh-audit.test.ts runs it against
# the bed's sshd (the shipped drop-in) on loopback only.
SSH_AUDIT_VERSION="${SSH_AUDIT_VERSION:-3.9.0}"
SSH_AUDIT_VENV="${SSH_AUDIT_VENV:-/opt/bastion/ssh-audit-venv}"

bed_ssh_audit() {
  pypi_venv "$SSH_AUDIT_VENV" ssh-audit "$SSH_AUDIT_VERSION"
  env_set BASTION_TEST_SSH_AUDIT "$SSH_AUDIT_VENV/bin/ssh-audit"
  env_set BASTION_TEST_SSH_AUDIT_VERSION "$SSH_AUDIT_VERSION"
}

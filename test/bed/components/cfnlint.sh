# cfn-lint from PyPI in a virtualenv of its own: it validates rbacsync's CloudFormation/
# SAM template offline (its resource schemas ship inside the package; it calls no AWS).
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
CFN_LINT_VENV="${CFN_LINT_VENV:-/opt/bastion/cfn-lint-venv}"

bed_cfn_lint() {
  pypi_venv "$CFN_LINT_VENV" cfn-lint "$CFN_LINT_VERSION"
  env_set BASTION_TEST_CFN_LINT "$CFN_LINT_VENV/bin/cfn-lint"
}

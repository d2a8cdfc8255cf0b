# cfn-lint from PyPI in a virtualenv of its own: it validates rbacsync's CloudFormation/
# SAM template offline (its resource schemas ship inside the package; it calls no AWS).
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
CFN_LINT_VENV="${CFN_LINT_VENV:-/opt/bastion/cfn-lint-venv}"

bed_cfn_lint() {
  local installed
  installed="$("$CFN_LINT_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("cfn-lint"))' 2>/dev/null || true)"
  if [ ! -x "$CFN_LINT_VENV/bin/cfn-lint" ] || [ "$installed" != "$CFN_LINT_VERSION" ]; then
    apt_install python3 python3-venv
    log "installing cfn-lint==$CFN_LINT_VERSION into $CFN_LINT_VENV"
    /usr/bin/python3 -m venv "$CFN_LINT_VENV"
    "$CFN_LINT_VENV/bin/pip" install -q --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
  fi
  env_set BASTION_TEST_CFN_LINT "$CFN_LINT_VENV/bin/cfn-lint"
}

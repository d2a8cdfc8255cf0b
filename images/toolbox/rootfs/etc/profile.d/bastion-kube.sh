# Login shells, interactive or not, seed the user's own kubeconfig (see the script).
if [ -n "${BASH_VERSION-}" ]; then . /usr/local/lib/bastion/kube-seed.sh; fi

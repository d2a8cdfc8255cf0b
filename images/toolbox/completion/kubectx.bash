# bash completion for kubectx, from kubectx v0.9.3 (github.com/ahmetb/kubectx, Apache-2.0,
# Copyright 2017 Google Inc.), as Debian ships it; the production image installs the
# v0.9.5 binaries, whose release archives carry no completion.
_kube_contexts()
{
  local curr_arg;
  curr_arg=${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=( $(compgen -W "- $(kubectl config get-contexts --output='name')" -- $curr_arg ) );
}

complete -F _kube_contexts kubectx kctx

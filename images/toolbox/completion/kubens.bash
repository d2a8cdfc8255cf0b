# bash completion for kubens, from kubectx v0.9.3 (github.com/ahmetb/kubectx, Apache-2.0,
# Copyright 2017 Google Inc.), as Debian ships it; the production image installs the
# v0.9.5 binaries, whose release archives carry no completion.
_kube_namespaces()
{
  local curr_arg;
  curr_arg=${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=( $(compgen -W "- $(kubectl get namespaces -o=jsonpath='{range .items[*].metadata.name}{@}{"\n"}{end}')" -- $curr_arg ) );
}

complete -F _kube_namespaces kubens kns

# Interactive shells of the toolbox (sourced at the end of /etc/bash.bashrc, which
# /etc/profile also reads for interactive login shells): completion for kubectl and
# the other tools, and a prompt that shows the current cluster and namespace.
[ -n "${PS1-}" ] || return 0

if [ -z "${BASH_COMPLETION_VERSINFO-}" ] && [ -r /usr/share/bash-completion/bash_completion ]; then
  . /usr/share/bash-completion/bash_completion
fi

. /usr/local/lib/bastion/kube-seed.sh

# "<context>:<namespace>" of the merged kubeconfig, for the prompt. Asking kubectl costs
# tens of milliseconds, so it is asked only when a file in KUBECONFIG is newer than the
# cached answer (kubectx, kubens and `kubectl config` all rewrite a file); otherwise
# the prompt reads the cache with shell builtins alone.
__bastion_kube_prompt () {
  local - IFS=: f stale= cache="/tmp/.bastion-kube-prompt.${UID}"
  set -f
  if [ -f "$cache" ]; then
    # shellcheck disable=SC2086
    for f in ${KUBECONFIG:-$HOME/.kube/config}; do
      if [ "$f" -nt "$cache" ]; then stale=1; fi
    done
  else
    stale=1
  fi
  if [ -n "$stale" ]; then
    local now
    now=$(kubectl config view --minify -o 'jsonpath={.current-context}:{.contexts[0].context.namespace}' 2>/dev/null) || now=
    case "$now" in
      '' | :*) now= ;;
      *:) now="${now}default" ;;
    esac
    printf '%s\n' "$now" > "$cache" 2>/dev/null
  fi
  __bastion_kube=
  [ -r "$cache" ] && IFS= read -r __bastion_kube < "$cache"
  return 0
}
PROMPT_COMMAND="__bastion_kube_prompt${PROMPT_COMMAND:+; $PROMPT_COMMAND}"
PS1='\u@\h${__bastion_kube:+ [$__bastion_kube]}:\w\$ '

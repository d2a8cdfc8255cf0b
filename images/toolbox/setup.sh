#!/bin/sh
# The last build step of both toolbox images (Dockerfile and Dockerfile.offline), run as
# root once the tools are installed: what makes the two builds the same image for the
# user. It fails the build if a tool is missing.
set -eu

# A non-root user for `docker run` of the image on its own. The login shell runs each
# person as their own uid instead, with its own /etc/passwd mounted over this one. Its
# home starts empty, as the login shell's homes do, so it gets the prompt set below.
useradd --uid 1000 --user-group --create-home --skel /dev/null --shell /bin/bash toolbox

# Completion for every tool, loaded on first use by bash-completion. Debian's packages
# ship kubectl's, the aws CLI's and kubectx/kubens's; downloaded tools get them here.
completions=/usr/share/bash-completion/completions
[ -s "$completions/kubectl" ] || kubectl completion bash > "$completions/kubectl"
[ -s "$completions/aws" ] || echo "complete -C $(command -v aws_completer) aws" > "$completions/aws"
k9s completion bash > "$completions/k9s"
for f in kubectx kubens; do
  if [ ! -e "$completions/$f.bash" ] && [ ! -e "$completions/$f" ]; then
    install -m 644 "/tmp/toolbox/completion/$f.bash" "$completions/$f"
  fi
done

# kubens for namespace-tier users too (rootfs/usr/local/lib/bastion/kubens says how): the
# upstream one, from Debian or the release, moves aside and the wrapper takes its name.
upstream="$(command -v kubens)"
mv "$upstream" /usr/local/lib/bastion/kubens.real
chmod 755 /usr/local/lib/bastion/kubens
ln -s /usr/local/lib/bastion/kubens /usr/local/bin/kubens

# Interactive shells load the prompt and completion; /etc/profile reads bash.bashrc for
# interactive login shells too.
printf '\n# The bastion toolbox: completion and the cluster:namespace prompt.\n. /usr/local/lib/bastion/toolbox.bashrc\n' >> /etc/bash.bashrc

for tool in bash kubectl k9s kubectx kubens aws jq curl less vi tmux rsync ps; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool is missing from the image" >&2; exit 1; }
done
[ -x /usr/lib/openssh/sftp-server ] || { echo "setup.sh: /usr/lib/openssh/sftp-server is missing" >&2; exit 1; }

# Cookbook metadata. The cookbook is thin on purpose: every step with logic is
# `bastion setup <step>` of the suite itself, which is idempotent and tested on a real
# host; the recipes install what it needs and call it. See README.md.
name 'bastion'
maintainer 'bastion maintainers'
license 'Apache-2.0'
description 'Turns a Debian 12 host into a bastion: Node 24, Docker, the bastion suite, its config, systemd units, iptables rules, sshd drop-in, users\' login shells, toolbox image and kubeconfig'
version '0.1.0'
chef_version '>= 17.0'
supports 'debian', '>= 12.0'
source_url 'https://example.invalid/bastion'
issues_url 'https://example.invalid/bastion/issues'

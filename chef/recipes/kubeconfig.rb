# bastion::kubeconfig: the kubeconfig with one context per cluster of the config, which
# every personal container mounts read-only (`bastion setup kubeconfig`).
bastion_setup 'kubeconfig' do
  steps %w(kubeconfig)
end

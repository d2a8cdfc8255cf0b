# bastion::image: the toolbox image that shell.image names. Pulled from a registry and
# tagged when ['bastion']['image']['pull'] names one; otherwise `bastion setup image`
# builds it from the suite's images/toolbox when it is missing. Newer images are rolled
# out with `bastion image`, not by Chef.
image = node['bastion']['config']['shell']['image']
pull = node['bastion']['image']['pull']

if pull
  execute "docker pull #{pull}" do
    command ['docker', 'pull', pull]
    not_if { shell_out('docker', 'image', 'inspect', pull).exitstatus.zero? }
  end

  execute "docker tag #{pull} #{image}" do
    command ['docker', 'tag', pull, image]
    not_if do
      ids = [pull, image].map { |ref| shell_out('docker', 'image', 'inspect', '-f', '{{.Id}}', ref).stdout.strip }
      ids[0] == ids[1] && !ids[0].empty?
    end
  end
end

bastion_setup 'image' do
  steps %w(image)
end

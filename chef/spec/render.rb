# Renders every template of bastion::default against the example attributes (or another
# JSON attributes file), for the suite's own validation in test/integration/chef:
#   ruby chef/spec/render.rb OUT_DIR [ATTRIBUTES.json]
# Each template lands in OUT_DIR under its destination's file name; the list is printed.
require_relative 'support/chef_stub'
require 'fileutils'

out = ARGV[0] or abort('usage: render.rb OUT_DIR [ATTRIBUTES.json]')
attributes = JSON.parse(File.read(ARGV[1] || File.join(__dir__, 'fixtures/example_attributes.json')))
run = ChefStub::Runner.new(attributes: attributes).converge('bastion::default')
FileUtils.mkdir_p(out)
run.of_type(:template).each do |t|
  dest = File.join(out, File.basename(t.name))
  File.write(dest, run.render(t.name))
  puts "#{t.name} #{dest}"
end

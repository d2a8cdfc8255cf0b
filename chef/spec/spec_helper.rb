# Loaded by every spec (rspec --require spec_helper, see .rspec).
require_relative 'support/chef_stub'

# Attributes of a typical production bastion, the ones the template specs and the suite's
# own validation (test/integration/chef) render against.
EXAMPLE_ATTRIBUTES = JSON.parse(File.read(File.join(__dir__, 'fixtures/example_attributes.json'))).freeze

# A converge with the example attributes, deep-merged with `attributes`; `base: {}` for the
# cookbook's defaults alone.
def converge(*recipes, attributes: {}, base: EXAMPLE_ATTRIBUTES)
  ChefStub::Runner.new(attributes: ChefStub.deep_merge(ChefStub.stringify(base), ChefStub.stringify(attributes))).converge(*recipes)
end

# A tiny stand-in for the part of Chef Infra's DSL this cookbook uses, for specs in the
# style of ChefSpec (Chef cannot be installed from the registries our machines reach).
# It loads attributes, libraries, custom resources and recipes the way chef-client's
# compile phase does, and records every resource with its properties, actions, guards
# and notifications, without running anything. What it proves and what it cannot:
# chef/README.md, "How the cookbook is tested".
require 'erb'
require 'json'
require 'yaml'

module ChefStub
  COOKBOOK_DIR = File.expand_path('../..', __dir__)
  COOKBOOK = 'bastion'.freeze

  COMMON = %i(action notifies subscribes not_if only_if ignore_failure retries retry_delay sensitive
              guard_interpreter compile_time description).freeze
  # The built-in resources the recipes may use, each with the properties Chef gives it;
  # anything else is an error here as it would be in Chef.
  BUILTIN = {
    package: %i(package_name version options timeout),
    execute: %i(command cwd environment user group returns timeout creates live_stream umask login input),
    template: %i(source owner group mode variables verify cookbook backup helpers local atomic_update path),
    directory: %i(owner group mode recursive path),
    file: %i(content owner group mode verify backup path atomic_update),
    link: %i(to link_type owner group target_file),
    user: %i(comment home manage_home shell uid gid system password non_unique expire_date inactive),
    group: %i(members append gid system excluded_members),
    service: %i(service_name supports start_command stop_command restart_command reload_command pattern),
    git: %i(repository revision user group depth enable_submodules destination remote checkout_branch environment timeout ssh_wrapper)
  }.freeze

  # A `lazy { }` property value, evaluated only when the resource runs.
  class Lazy
    def initialize(&block)
      @block = block
    end

    def value_in(context)
      context.instance_exec(&@block)
    end
  end

  Resource = Struct.new(:type, :name, :properties, :actions, :guards, :notifications, :recipe, keyword_init: true) do
    def [](property)
      properties[property]
    end

    def to_s
      "#{type}[#{name.is_a?(Array) ? name.join(', ') : name}]"
    end
  end

  # `self` inside a resource block.
  class ResourceBuilder
    def initialize(resource, runner, allowed)
      @resource = resource
      @runner = runner
      @allowed = allowed
    end

    attr_reader :resource

    def node
      @runner.node
    end

    def lazy(&block)
      Lazy.new(&block)
    end

    def action(*actions)
      @resource.actions = actions.flatten
    end

    def notifies(action, target, timing = :delayed)
      @resource.notifications << { action: action, target: target, timing: timing }
    end

    def subscribes(action, target, timing = :delayed)
      @resource.notifications << { subscribes: true, action: action, target: target, timing: timing }
    end

    def not_if(command = nil, &block)
      @resource.guards << { type: :not_if, command: command, block: block }
    end

    def only_if(command = nil, &block)
      @resource.guards << { type: :only_if, command: command, block: block }
    end

    def method_missing(name, *args, &block)
      return super unless @allowed.include?(name)

      return @resource.properties[name] if args.empty? && block.nil?

      @resource.properties[name] = args.length == 1 ? args.first : args
    end

    def respond_to_missing?(name, include_private = false)
      @allowed.include?(name) || super
    end
  end

  # A custom resource from resources/*.rb: its properties and actions, as Chef builds a
  # resource class from the file.
  class CustomResource
    class << self
      attr_reader :resource_name, :properties, :actions

      def setup(file)
        @properties = {}
        @actions = {}
        @resource_name = :"#{COOKBOOK}_#{File.basename(file, '.rb')}"
        class_eval(File.read(file), file)
      end

      def unified_mode(_on = true); end

      def description(_text = nil); end

      def provides(name, **_opts)
        @resource_name = name
      end

      def property(name, type = nil, **opts)
        @properties[name] = { type: type, **opts }
      end

      def lazy(&block)
        Lazy.new(&block)
      end

      def action(name, &block)
        @actions[name] = block
      end
    end
  end

  # The node: attributes as plain nested hashes (missing keys read as nil, as in Chef).
  class Node
    def initialize(attributes)
      @attributes = attributes
    end

    def [](key)
      @attributes[key.to_s]
    end

    def dig(*keys)
      @attributes.dig(*keys.map(&:to_s))
    end

    def to_hash
      @attributes
    end
  end

  # `default[...]` in attribute files: creates the nested hashes it walks through.
  class AttributeWriter
    def initialize(hash)
      @hash = hash
    end

    def [](key)
      AttributeWriter.new(@hash[key.to_s] ||= {})
    end

    def []=(key, value)
      @hash[key.to_s] = value
    end
  end

  class AttributeFile
    def initialize(attributes)
      @attributes = attributes
    end

    def default
      AttributeWriter.new(@attributes)
    end
  end

  def self.deep_merge(base, over)
    base.merge(over) { |_k, a, b| a.is_a?(Hash) && b.is_a?(Hash) ? deep_merge(a, b) : b }
  end

  def self.stringify(value)
    case value
    when Hash then value.each_with_object({}) { |(k, v), h| h[k.to_s] = stringify(v) }
    when Array then value.map { |v| stringify(v) }
    else value
    end
  end

  # One converge: attributes (defaults, then the spec's overrides), libraries, custom
  # resources, then the recipes, recording resources in the order Chef would run them.
  class Runner
    attr_reader :node, :resources, :custom_resources, :included

    def initialize(attributes: {}, data_bags: File.join(COOKBOOK_DIR, 'spec/fixtures/data_bags'))
      attrs = {}
      Dir[File.join(COOKBOOK_DIR, 'attributes/*.rb')].sort.each do |f|
        AttributeFile.new(attrs).instance_eval(File.read(f), f)
      end
      @node = Node.new(ChefStub.deep_merge(attrs, ChefStub.stringify(attributes)))
      @data_bags = data_bags
      Dir[File.join(COOKBOOK_DIR, 'libraries/*.rb')].sort.each { |f| require f }
      @custom_resources = Dir[File.join(COOKBOOK_DIR, 'resources/*.rb')].sort.map do |f|
        klass = Class.new(CustomResource)
        klass.setup(f)
        [klass.resource_name, klass]
      end.to_h
      @resources = []
      @included = []
    end

    def converge(*recipes)
      recipes.each { |r| include_recipe(r) }
      self
    end

    def include_recipe(name)
      cookbook, recipe = name.split('::', 2)
      raise ArgumentError, "only this cookbook's recipes can be included here, not #{name}" unless cookbook == COOKBOOK

      recipe ||= 'default'
      return if @included.include?(recipe)

      @included << recipe
      file = File.join(COOKBOOK_DIR, 'recipes', "#{recipe}.rb")
      raise ArgumentError, "no recipe #{name} (#{file})" unless File.exist?(file)

      RecipeContext.new(self, recipe).instance_eval(File.read(file), file)
    end

    def add(type, name, recipe, &block)
      allowed = if BUILTIN.key?(type)
                  BUILTIN[type] + COMMON
                else
                  @custom_resources.fetch(type).properties.keys + COMMON
                end
      resource = Resource.new(type: type, name: name, properties: {}, actions: [], guards: [], notifications: [], recipe: recipe)
      raise ArgumentError, "#{resource} is declared twice" if find(type, name)

      ResourceBuilder.new(resource, self, allowed).instance_eval(&block) if block
      @resources << resource
      resource
    end

    def find(type, name)
      @resources.find { |r| r.type == type && r.name == name }
    end

    def of_type(type)
      @resources.select { |r| r.type == type }
    end

    def data_bag(bag)
      Dir[File.join(@data_bags, bag, '*.json')].map { |f| File.basename(f, '.json') }.sort
    end

    def data_bag_item(bag, id)
      JSON.parse(File.read(File.join(@data_bags, bag, "#{id}.json")))
    end

    # A template resource rendered as Chef would: its ERB source from templates/, with its
    # variables as instance variables and `node`.
    def render(path)
      resource = find(:template, path) || raise(ArgumentError, "no template[#{path}]")
      source = File.join(COOKBOOK_DIR, 'templates', resource[:source])
      context = TemplateContext.new(@node, resource[:variables] || {})
      ERB.new(File.read(source), trim_mode: '-').result(context.template_binding)
    end
  end

  # `self` in a recipe.
  class RecipeContext
    def initialize(runner, recipe)
      @runner = runner
      @recipe = recipe
    end

    def node
      @runner.node
    end

    def include_recipe(name)
      @runner.include_recipe(name)
    end

    def data_bag(bag)
      @runner.data_bag(bag)
    end

    def data_bag_item(bag, id)
      @runner.data_bag_item(bag, id)
    end

    BUILTIN.each_key do |type|
      define_method(type) { |name, &block| @runner.add(type, name, @recipe, &block) }
    end

    def method_missing(name, *args, &block)
      return super unless @runner.custom_resources.key?(name) && args.length == 1

      @runner.add(name, args.first, @recipe, &block)
    end

    def respond_to_missing?(name, include_private = false)
      @runner.custom_resources.key?(name) || super
    end
  end

  class TemplateContext
    def initialize(node, variables)
      @node = node
      variables.each { |k, v| instance_variable_set("@#{k}", v) }
    end

    attr_reader :node

    def template_binding
      binding
    end
  end

  # Runs a custom resource's action the way Chef's action class would: new_resource with
  # the given properties (and the declared defaults, lazy ones evaluated), shell_out
  # answered by `shell`, and converge_by recording what it reports.
  class ActionRun
    Result = Struct.new(:exitstatus, :stdout, :stderr, keyword_init: true) do
      def error!
        raise "command failed with #{exitstatus}" unless exitstatus.zero?
      end
    end

    attr_reader :converged, :commands, :new_resource, :node

    def initialize(klass, node, properties, shell:, why_run: false)
      @node = node
      @shell = shell
      @why_run = why_run
      @converged = []
      @commands = []
      values = klass.properties.each_with_object({}) do |(name, spec), h|
        h[name] = properties.key?(name) ? properties[name] : spec[:default]
      end
      values.each { |k, v| values[k] = v.value_in(self) if v.is_a?(Lazy) }
      @new_resource = Struct.new(*values.keys, keyword_init: true).new(**values)
    end

    def shell_out(*argv, **opts)
      @commands << argv
      answer = @shell.call(argv, opts)
      Result.new(exitstatus: answer.fetch(:exitstatus, 0), stdout: answer.fetch(:stdout, ''), stderr: answer.fetch(:stderr, ''))
    end

    def shell_out!(*argv, **opts)
      shell_out(*argv, **opts).tap(&:error!)
    end

    def converge_by(descriptions)
      @converged << Array(descriptions)
      yield unless @why_run
    end

    def logger
      @logger ||= Struct.new(:lines) { def debug(msg) = lines << msg }.new([])
    end
  end
end

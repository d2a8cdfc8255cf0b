# Helpers the recipes share: who the bastion's users are (attributes and data bag), and
# the config hash as plain Ruby data for the YAML template.
module Bastion
  module Helpers
    # What useradd accepts on Debian, minus anything that could pass for an option; the
    # suite's `bastion setup` checks the same.
    USER_NAME = /\A[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\$?\z/.freeze
    # A pinned revision of the suite: a release tag (an optional v, two or three numbers,
    # an optional -pre-release or +build part) or a full commit id. Anything else could
    # be a branch, whose commit moves; a short commit id could be one too.
    RELEASE_TAG = /\Av?\d+(\.\d+){1,2}([-+][0-9A-Za-z][0-9A-Za-z.-]*)?\z/.freeze
    COMMIT = /\A\h{40}\z/.freeze

    module_function

    # name => { 'role', 'ssh_keys', 'comment' }, from node['bastion']['users'] and, when
    # node['bastion']['users_data_bag'] names one, its items (which win).
    def users(node, recipe)
      all = {}
      (node['bastion']['users'] || {}).each { |name, u| all[name.to_s] = plain(u || {}) }
      bag = node['bastion']['users_data_bag']
      if bag
        recipe.data_bag(bag).each do |id|
          item = plain(recipe.data_bag_item(bag, id).to_hash)
          all[(item['name'] || item['id']).to_s] = item.reject { |k, _| %w(id name chef_type data_bag).include?(k) }
        end
      end
      bad = all.keys.reject { |n| USER_NAME.match?(n) }
      raise ArgumentError, "bastion users with names that cannot be Unix users: #{bad.join(', ')}" unless bad.empty?
      all.sort.to_h
    end

    # The config for bastion.yaml: the attributes, with each user's role (when one is
    # given) added to shell.roles.
    def config(node, users)
      config = plain(node['bastion']['config'])
      roles = users.each_with_object({}) { |(name, u), h| h[name] = u['role'] if u['role'] && u['role'] != name }
      unless roles.empty?
        config['shell'] ||= {}
        config['shell']['roles'] = (config['shell']['roles'] || {}).merge(roles)
      end
      config
    end

    # Deep copy as plain Hash/Array/scalars (Chef's attribute mashes would dump as tagged
    # Ruby objects), without nil values, so that the suite's defaults apply.
    def plain(value)
      case value
      when Hash, ->(v) { v.respond_to?(:to_hash) && !v.is_a?(Array) }
        value.to_hash.each_with_object({}) { |(k, v), h| h[k.to_s] = plain(v) unless v.nil? }
      when Array then value.map { |v| plain(v) }.compact
      when Symbol then value.to_s
      else value
      end
    end

    # Whether bastion ship sends the logs (ship.enabled): only then is its unit enabled,
    # started and restarted.
    def ship_enabled?(node)
      ((node['bastion']['config'] || {})['ship'] || {})['enabled'] == true
    end

    # node['bastion']['app']['revision'], checked to be a release tag or a 40-hex commit.
    def pinned_revision(node)
      rev = node['bastion']['app']['revision']
      return rev if rev.is_a?(String) && (RELEASE_TAG.match?(rev) || COMMIT.match?(rev))

      raise ArgumentError, "['bastion']['app']['revision'] must pin the suite: a release tag (e.g. v1.4.0) or a 40-hex commit id, " \
                           "never a branch, whose commit moves; got #{rev.inspect}"
    end

    # The `bastion` command as the recipes run it, before and after the wrapper exists.
    def bastion_command(node)
      ["#{node['bastion']['prefix']}/node/bin/node", "#{node['bastion']['app']['dir']}/packages/admin/dist/bin/bastion.js"]
    end
  end
end

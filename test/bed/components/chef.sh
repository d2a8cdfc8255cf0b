# What the Chef cookbook's checks need (chef/README.md): Debian's ruby for `ruby -c` and
# ERB, and ruby-rspec for the ChefSpec-style specs. Chef Infra itself is not installable
# from the registries these machines reach; the specs stub its DSL.
bed_chef() {
  apt_install ruby ruby-rspec
}

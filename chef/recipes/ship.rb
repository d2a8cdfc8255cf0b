# bastion::ship: bastion ship, which sends this host's session log, the proxy's
# credential log and the index of recordings to CloudWatch Logs, as bastion-ship.service
# (installed with the other units by `bastion setup units`, bastion::host). Enabled and
# started only with ship.enabled; otherwise stopped and disabled, so that turning it off
# takes effect. A new build, a config change or a changed unit restart it (app, config,
# host); on SIGTERM it saves its cursors, so a restart loses nothing.
service 'bastion-ship' do
  action Bastion::Helpers.ship_enabled?(node) ? %i(enable start) : %i(stop disable)
end

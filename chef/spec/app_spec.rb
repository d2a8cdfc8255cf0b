# bastion::app: the suite's checkout is pinned by attribute to a release tag or a commit;
# a branch, whose commit moves, is refused before anything runs.
describe 'bastion::app' do
  let(:git) { ->(revision) { converge('bastion::app', attributes: { 'bastion' => { 'app' => { 'revision' => revision } } }).find(:git, '/opt/bastion/app') } }

  it 'checks out the pinned release tag of the example attributes' do
    checkout = converge('bastion::app').find(:git, '/opt/bastion/app')
    expect(checkout.properties).to include(revision: 'v1.4.0', repository: 'https://example.invalid/bastion.git', user: 'root')
  end

  it 'takes release tags with or without v, pre-release or build parts, and full commit ids' do
    %w(v1.4.0 1.4.0 v2.0 v1.4.0-rc.1 1.4.0+build.7 0123456789abcdef0123456789abcdef01234567 0123456789ABCDEF0123456789ABCDEF01234567).each do |rev|
      expect(git.call(rev)[:revision]).to eq(rev)
    end
  end

  it 'refuses a branch, a short commit id, HEAD and anything else that could move' do
    ['main', 'master', 'develop', 'release/1.4', 'HEAD', 'v1', '0123abc', 'v1.4.0; rm -rf /', '', 'refs/heads/main', 'origin/main'].each do |rev|
      expect { git.call(rev) }.to raise_error(ArgumentError, /must pin the suite: a release tag .* or a 40-hex commit id, never a branch/), rev
    end
  end

  it 'has no default: a host that names no revision fails at once' do
    expect { converge('bastion::app', base: {}) }.to raise_error(ArgumentError, /got nil/)
  end
end

// Every code `bastion kubeconfig` can end with is documented with its meaning, and raised.
import t from 'tap'
import { kubeconfigCodes, kubeconfigError } from '../../src/kubeconfig/errors.ts'
import { checkCodes } from '../fixtures/error-docs.ts'

checkCodes(t, kubeconfigCodes, 'BASTION_ADMIN_KUBECONFIG_', ['kubeconfig', 'commands/kubeconfig.ts'])

t.test('a kubeconfig error carries its code and message', async (t) => {
  t.match(kubeconfigError('BASTION_ADMIN_KUBECONFIG_WRITE_FAILED', 'no'), { name: 'AdminError', code: 'BASTION_ADMIN_KUBECONFIG_WRITE_FAILED', message: 'no' })
})

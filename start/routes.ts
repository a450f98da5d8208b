/*
 * Controllers are imported lazily: `node ace migration:run` on a fresh clone
 * must not need generated files or boot the HTTP layer.
 */
import router from '@adonisjs/core/services/router'

const HealthController = () => import('#controllers/health_controller')

router.get('/health/live', [HealthController, 'live'])
router.get('/health/ready', [HealthController, 'ready'])

router.group(() => {}).prefix('/api/v1')

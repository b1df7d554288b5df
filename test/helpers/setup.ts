// Run before every test file (vitest setupFiles): tfjs's cpu backend registered without
// its "install our node backend" banner, even in suites that import
// '@tensorflow/tfjs-backend-cpu' themselves (the package registers itself once).
import '../../src/backend/cpu.js';

/**
 * The grades feature: the outbox every grade and progress report is written to in the step that
 * decides it, and the worker that delivers them to the platform (AGS) under a lease, with retries.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { PlatformServices } from '../lti/platform-services';
import { GradeOutbox } from './outbox';
import { gradesPrivacy } from './privacy';
import { GradeWorker, type GradeWorkerDeps } from './worker';

export interface GradesFeatureDeps {
  services: PlatformServices;
  settings: AppConfig['grades'];
  log: Logger;
  outcomes?: GradeWorkerDeps['outcomes'];
}

export function gradesFeature(deps: GradesFeatureDeps) {
  const outbox = new GradeOutbox();
  return {
    outbox,
    privacy: [gradesPrivacy],
    /**
     * This instance's delivery worker, woken by every enqueue and started when the configuration
     * enables it. `targetOf` says where an activity's scores go (the feature that owns activities).
     */
    worker(targetOf: GradeWorkerDeps['targetOf']): GradeWorker {
      const worker = new GradeWorker({
        outbox,
        services: deps.services,
        log: deps.log,
        settings: deps.settings,
        targetOf,
        outcomes: deps.outcomes,
        owner: `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`,
      });
      if (deps.settings.workerEnabled) worker.start();
      return worker;
    },
  };
}

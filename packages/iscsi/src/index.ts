/**
 * @packageDocumentation
 * virtmig's iSCSI adapters: targets over tgt (`tgtadm`) and LIO (`targetcli`), initiators over
 * libiscsi/QEMU and open-iscsi (`iscsiadm`), the command runners they share (local, ssh), input
 * validation that runs before any command, and a private tgt daemon for labs and tests.
 */

export * from './backing-file.js';
export * from './errors.js';
export * from './iscsiadm-initiator.js';
export * from './iscsiadm-parse.js';
export * from './lab-storage.js';
export * from './libiscsi-initiator.js';
export * from './libiscsi-parse.js';
export * from './local-runner.js';
export * from './netns-runner.js';
export * from './redact.js';
export * from './runner.js';
export * from './ssh-runner.js';
export * from './targetcli-parse.js';
export * from './targetcli-target.js';
export * from './tgt-daemon.js';
export * from './tgtadm-parse.js';
export * from './tgtadm-target.js';
export * from './validate.js';

import { QemuHypervisor } from '@virtmig/driver-qemu';
const A='qemu+unix:///system?socket=/run/virtmig-lab/vmpre/a/sock/libvirt-sock', B='qemu+unix:///system?socket=/run/virtmig-lab/vmpre/b/sock/libvirt-sock';
const a = await QemuHypervisor.open(A,{domainType:'qemu'}), b = await QemuHypervisor.open(B,{domainType:'qemu'});
for (let i=0;i<3;i++){ const r = await a.preflight(process.argv[2] ?? 'prex1', b, {memoryReserveMiB: Number(process.argv[3] ?? 0)}); console.log(JSON.stringify(r,null,1)); }
await a.close(); await b.close();

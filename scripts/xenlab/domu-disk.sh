# xenlab: the shared iSCSI LUN is the domU's xvda once blkfront is loaded. A
# random 4 MiB pattern goes to its start, and its checksum to the console, so
# the outer machine can check the data from the other dom0 after a migration.
insmod /lib/modules/xen-blkfront.ko 2>/dev/null
i=0
while [ ! -b /dev/xvda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/xvda ]; then
	dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 2>/dev/null
	dd if=/tmp/pattern of=/dev/xvda bs=1M count=4 conv=fsync 2>/dev/null
	echo "VIRTMIG DISK $(md5sum </tmp/pattern | cut -d' ' -f1)"
	rm -f /tmp/pattern
fi

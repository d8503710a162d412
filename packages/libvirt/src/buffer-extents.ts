/**
 * Which C arguments say how much memory another argument holds, and which arguments must be
 * memory native code allocated. The argument checker compiles these into each function's checks,
 * so a length can never make libvirt read or write past the Buffer (or the libvirt-allocated
 * array) it describes. A test fails when a function of the generated table takes a pointer and a
 * count that this table does not describe (or list in {@link NOT_EXTENTS}).
 *
 * Notation: `buffer[a*b]` means `buffer` holds `a * b` elements of its C pointee (the element's
 * size comes from the struct table, e.g. 96 bytes for a virTypedParameter); `*a` reads the count
 * from the `int *` argument `a` (an in/out count: the array's capacity on entry); a trailing
 * ` bytes` means the count is in bytes (`void *` buffers, structs passed with their size).
 */
export const BUFFER_EXTENTS: Readonly<Record<string, readonly string[]>> = {
  virConnectBaselineCPU: ['xmlCPUs[ncpus]'],
  virConnectBaselineHypervisorCPU: ['xmlCPUs[ncpus]'],
  virConnectListDefinedDomains: ['names[maxnames]'],
  virConnectListDefinedInterfaces: ['names[maxnames]'],
  virConnectListDefinedNetworks: ['names[maxnames]'],
  virConnectListDefinedStoragePools: ['names[maxnames]'],
  virConnectListDomains: ['ids[maxids]'],
  virConnectListInterfaces: ['names[maxnames]'],
  virConnectListNWFilters: ['names[maxnames]'],
  virConnectListNetworks: ['names[maxnames]'],
  virConnectListSecrets: ['uuids[maxuuids]'],
  virConnectListStoragePools: ['names[maxnames]'],
  virConnectSetIdentity: ['params[nparams]'],
  virDomainAuthorizedSSHKeysSet: ['keys[nkeys]'],
  virDomainBlockCopy: ['params[nparams]'],
  virDomainBlockPeek: ['buffer[size bytes]'],
  virDomainBlockStats: ['stats[size bytes]'],
  virDomainBlockStatsFlags: ['params[*nparams]'],
  virDomainCreateWithFiles: ['files[nfiles]'],
  virDomainCreateXMLWithFiles: ['files[nfiles]'],
  virDomainFDAssociate: ['fds[nfds]'],
  virDomainFSFreeze: ['mountpoints[nmountpoints]'],
  virDomainFSThaw: ['mountpoints[nmountpoints]'],
  virDomainGetBlkioParameters: ['params[*nparams]'],
  virDomainGetBlockIoTune: ['params[*nparams]'],
  virDomainGetCPUStats: ['params[nparams*ncpus]'],
  virDomainGetDiskErrors: ['errors[maxerrors]'],
  virDomainGetEmulatorPinInfo: ['cpumap[maplen]'],
  virDomainGetInterfaceParameters: ['params[*nparams]'],
  virDomainGetMemoryParameters: ['params[*nparams]'],
  virDomainGetNumaParameters: ['params[*nparams]'],
  virDomainGetSchedulerParameters: ['params[*nparams]'],
  virDomainGetSchedulerParametersFlags: ['params[*nparams]'],
  virDomainGetVcpuPinInfo: ['cpumaps[ncpumaps*maplen]'],
  virDomainGetVcpus: ['info[maxinfo]', 'cpumaps[maxinfo*maplen]'],
  virDomainInterfaceStats: ['stats[size bytes]'],
  virDomainMemoryPeek: ['buffer[size bytes]'],
  virDomainMemoryStats: ['stats[nr_stats]'],
  virDomainMigrate3: ['params[nparams]'],
  virDomainMigrateToURI3: ['params[nparams]'],
  virDomainPinEmulator: ['cpumap[maplen]'],
  virDomainPinIOThread: ['cpumap[maplen]'],
  virDomainPinVcpu: ['cpumap[maplen]'],
  virDomainPinVcpuFlags: ['cpumap[maplen]'],
  virDomainRestoreParams: ['params[nparams]'],
  virDomainSaveParams: ['params[nparams]'],
  virDomainSendKey: ['keycodes[nkeycodes]'],
  virDomainSetBlkioParameters: ['params[nparams]'],
  virDomainSetBlockIoTune: ['params[nparams]'],
  virDomainSetIOThreadParams: ['params[nparams]'],
  virDomainSetInterfaceParameters: ['params[nparams]'],
  virDomainSetLaunchSecurityState: ['params[nparams]'],
  virDomainSetMemoryParameters: ['params[nparams]'],
  virDomainSetNumaParameters: ['params[nparams]'],
  virDomainSetPerfEvents: ['params[nparams]'],
  virDomainSetSchedulerParameters: ['params[nparams]'],
  virDomainSetSchedulerParametersFlags: ['params[nparams]'],
  virDomainSnapshotListChildrenNames: ['names[nameslen]'],
  virDomainSnapshotListNames: ['names[nameslen]'],
  virNetworkPortSetParameters: ['params[nparams]'],
  virNodeAllocPages: ['pageSizes[npages]', 'pageCounts[npages]'],
  virNodeDeviceListCaps: ['names[maxnames]'],
  virNodeGetCPUStats: ['params[*nparams]'],
  virNodeGetCellsFreeMemory: ['freeMems[maxCells]'],
  virNodeGetFreePages: ['pages[npages]', 'counts[npages*cellCount]'],
  virNodeGetMemoryParameters: ['params[*nparams]'],
  virNodeGetMemoryStats: ['params[*nparams]'],
  virNodeListDevices: ['names[maxnames]'],
  virNodeSetMemoryParameters: ['params[nparams]'],
  virSecretSetValue: ['value[value_size bytes]'],
  virStoragePoolListVolumes: ['names[maxnames]'],
  virStreamRecv: ['data[nbytes bytes]'],
  virStreamRecvFlags: ['data[nbytes bytes]'],
  virStreamSend: ['data[nbytes bytes]'],
  virTypedParamsClear: ['params[nparams]'],
  virTypedParamsFree: ['params[nparams]'],
  virTypedParamsGet: ['params[nparams]'],
  virTypedParamsGetBoolean: ['params[nparams]'],
  virTypedParamsGetDouble: ['params[nparams]'],
  virTypedParamsGetInt: ['params[nparams]'],
  virTypedParamsGetLLong: ['params[nparams]'],
  virTypedParamsGetString: ['params[nparams]'],
  virTypedParamsGetUInt: ['params[nparams]'],
  virTypedParamsGetULLong: ['params[nparams]'],
  // The shim's packers (native/support.c), which read what libvirt returned.
  virtmig_pack_params: ['params[nparams]', 'out[size bytes]'],
  virtmig_pack_stats: ['stats[nstats]', 'out[size bytes]'],
};

/**
 * Integer arguments next to a pointer that are not the length of a caller's buffer, with why,
 * so the completeness test can tell them from a forgotten pair.
 */
export const NOT_EXTENTS: Readonly<Record<string, string>> = {
  'virDomainGetCPUStats(start_cpu)': 'the first CPU index, not a length',
  'virDomainBlockPeek(offset)': 'an offset in the disk image, not in the buffer',
  'virDomainMemoryPeek(start)': 'a guest address, not an offset in the buffer',
  'virNodeAllocPages(startCell)': 'a NUMA cell index; the cell count does not size the arrays',
  'virNodeAllocPages(cellCount)': 'a range of cells to allocate on; the arrays have npages entries',
  'virNodeGetFreePages(startCell)': 'a NUMA cell index',
  'virNodeGetCellsFreeMemory(startCell)': 'a NUMA cell index',
  'virDomainPinIOThread(iothread_id)': 'an IOThread id',
  'virDomainSetIOThreadParams(iothread_id)': 'an IOThread id',
  'virDomainPinVcpu(vcpu)': 'a vCPU index',
  'virDomainPinVcpuFlags(vcpu)': 'a vCPU index',
  'virDomainSendKey(codeset)': 'a keycode set',
  'virDomainSendKey(holdtime)': 'milliseconds',
  'virConnectGetAllDomainStats(stats)': 'a bit mask of statistics groups',
  'virDomainListGetStats(stats)': 'a bit mask of statistics groups',
  'virDomainGetGuestInfo(types)': 'a bit mask of information groups',
  'virDomainInterfaceAddresses(source)': 'an address source enum',
  'virNodeGetCPUStats(cpuNum)': 'a CPU index',
  'virNodeGetMemoryStats(cellNum)': 'a NUMA cell index',
  'virConnectDomainEventRegisterAny(eventID)': 'an event id',
  'virConnectNetworkEventRegisterAny(eventID)': 'an event id',
  'virConnectNodeDeviceEventRegisterAny(eventID)': 'an event id',
  'virConnectSecretEventRegisterAny(eventID)': 'an event id',
  'virConnectStoragePoolEventRegisterAny(eventID)': 'an event id',
  'virEventAddHandle(fd)': 'a file descriptor',
  'virEventAddHandle(events)': 'a bit mask of events',
  'virEventAddTimeout(timeout)': 'milliseconds',
  'virStreamEventAddCallback(events)': 'a bit mask of events',
  'virTypedParamsAddBoolean(value)': 'the value added',
  'virTypedParamsAddDouble(value)': 'the value added',
  'virTypedParamsAddInt(value)': 'the value added',
  'virTypedParamsAddLLong(value)': 'the value added',
  'virTypedParamsAddUInt(value)': 'the value added',
  'virTypedParamsAddULLong(value)': 'the value added',
  'virTypedParamsAddFromString(type)': 'the type of the value added',
};

/**
 * Pointer arguments that accept only memory native code allocated (a pointer libvirt returned or
 * the binding made, typed as declared), never a Buffer: libvirt reads pointers out of that memory
 * (a typed parameter's string, an array of C strings), frees it, or reallocates it, so bytes
 * chosen in JS there would be a wild pointer. Typed-parameter inputs come from
 * `TypedParamList`; arrays of C strings have no constructor in the binding, so those functions
 * are refused until one is needed.
 */
export const NATIVE_ONLY: Readonly<Record<string, readonly string[]>> = {
  virConnectBaselineCPU: ['xmlCPUs'],
  virConnectBaselineHypervisorCPU: ['xmlCPUs'],
  virConnectOpenAuth: ['auth'],
  virConnectSetIdentity: ['params'],
  virConnCopyLastError: ['to'],
  virCopyLastError: ['to'],
  virDefaultErrorFunc: ['err'],
  virDomainAuthorizedSSHKeysSet: ['keys'],
  virDomainBlockCopy: ['params'],
  virDomainFSFreeze: ['mountpoints'],
  virDomainFSInfoFree: ['info'],
  virDomainFSThaw: ['mountpoints'],
  virDomainIOThreadInfoFree: ['info'],
  virDomainInterfaceFree: ['iface'],
  virDomainListGetStats: ['doms'],
  virDomainMigrate3: ['params'],
  virDomainMigrateToURI3: ['params'],
  virDomainRestoreParams: ['params'],
  virDomainSaveParams: ['params'],
  virDomainSetBlkioParameters: ['params'],
  virDomainSetBlockIoTune: ['params'],
  virDomainSetIOThreadParams: ['params'],
  virDomainSetInterfaceParameters: ['params'],
  virDomainSetLaunchSecurityState: ['params'],
  virDomainSetMemoryParameters: ['params'],
  virDomainSetNumaParameters: ['params'],
  virDomainSetPerfEvents: ['params'],
  virDomainSetSchedulerParameters: ['params'],
  virDomainSetSchedulerParametersFlags: ['params'],
  virDomainStatsRecordListFree: ['stats'],
  virFreeError: ['err'],
  virNetworkDHCPLeaseFree: ['lease'],
  virNetworkPortSetParameters: ['params'],
  virNodeSetMemoryParameters: ['params'],
  virResetError: ['err'],
  virTypedParamsAddBoolean: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddDouble: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddFromString: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddInt: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddLLong: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddString: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddStringList: ['params', 'nparams', 'maxparams', 'values'],
  virTypedParamsAddUInt: ['params', 'nparams', 'maxparams'],
  virTypedParamsAddULLong: ['params', 'nparams', 'maxparams'],
  virTypedParamsClear: ['params'],
  virTypedParamsFree: ['params'],
  virTypedParamsGet: ['params'],
  virTypedParamsGetBoolean: ['params'],
  virTypedParamsGetDouble: ['params'],
  virTypedParamsGetInt: ['params'],
  virTypedParamsGetLLong: ['params'],
  virTypedParamsGetString: ['params'],
  virTypedParamsGetUInt: ['params'],
  virTypedParamsGetULLong: ['params'],
};

const ADDERS = [
  'virTypedParamsAddBoolean',
  'virTypedParamsAddDouble',
  'virTypedParamsAddFromString',
  'virTypedParamsAddInt',
  'virTypedParamsAddLLong',
  'virTypedParamsAddString',
  'virTypedParamsAddStringList',
  'virTypedParamsAddUInt',
  'virTypedParamsAddULLong',
] as const;

/**
 * Pointer and string arguments where NULL is refused before the call. Everywhere else NULL is
 * passed on, because libvirt's public entry points check it themselves (every handle with
 * virCheck<Object>Return, every required pointer with virCheckNonNullArg, failing with
 * VIR_ERR_INVALID_ARG; test/null-pointers.test.ts passes NULL at each pointer of the functions
 * that take no handle and finds no crash). The virTypedParamsAdd* helpers are the exception:
 * they dereference the array, its count and its capacity unchecked, pass a NULL name to
 * g_strlcpy, and store a NULL string value that the remote driver later reads.
 */
export const NON_NULL: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  ADDERS.map((fn) => [
    fn,
    [
      'params',
      'nparams',
      'maxparams',
      'name',
      ...(fn === 'virTypedParamsAddString' || fn === 'virTypedParamsAddFromString' ? ['value'] : []),
      ...(fn === 'virTypedParamsAddStringList' ? ['values'] : []),
    ],
  ]),
);

/*
 * QEMU's firmware configuration device (fw_cfg) on I/O ports, as SeaBIOS, OVMF and
 * Linux know it: a 16-bit selector at iobase, an auto-incrementing byte data port at
 * iobase + 1 and a big-endian 64-bit DMA descriptor address at iobase + 4..+0xb.
 * Items are blobs under 16-bit keys; named "files" get keys from 0x20 up in name
 * order and are listed in the directory item 0x19.
 *
 * Board wiring: create "fw_cfg-io" (properties iobase=0x510, dma_enabled=on), realize
 * it on the ISA bus, give it the memory address space for DMA, then add items:
 *   DeviceState *fw = device_new(TYPE_FW_CFG_IO);
 *   object_add_child(OBJECT(m), "fw_cfg", OBJECT(fw)); object_unref(OBJECT(fw));
 *   device_realize(fw, BUS(m->isa_bus), &err);
 *   fw_cfg_set_dma_address_space(fw, &m->as_mem);
 *   fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ram_size); fw_cfg_add_file(fw, "etc/e820", ...);
 * Items survive reset; only the guest-visible selection state is reset.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/core/device.h"
#include "hw/core/memory.h"

#define TYPE_FW_CFG_IO "fw_cfg-io"
#define FW_CFG_IO_BASE 0x510

/* Well-known keys */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MACHINE_ID 0x06
#define FW_CFG_KERNEL_ADDR 0x07
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR 0x0a
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_BOOT_DEVICE 0x0c
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR 0x16
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_FILE_SLOTS 0x100          /* files this device can hold */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ENTRY_MASK 0x3fff

/* x86 arch-local keys (FW_CFG_ARCH_LOCAL + n), as SeaBIOS reads them */
#define FW_CFG_ACPI_TABLES (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID feature bits */
#define FW_CFG_VERSION 0x01
#define FW_CFG_VERSION_DMA 0x02

/* FWCfgDmaAccess.control bits */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull   /* "QEMU CFG", big-endian */

#define FW_CFG_MAX_FILE_PATH 56
#define FW_CFG_DIR_ENTRY_SIZE 64

/* Well-known file names */
#define FW_CFG_E820_FILE "etc/e820"
#define FW_CFG_BOOTORDER_FILE "bootorder"

void fw_cfg_register_types(void);

/* The address space DMA descriptors and buffers live in (guest memory). Without it
 * DMA requests are ignored. */
void fw_cfg_set_dma_address_space(DeviceState *dev, AddressSpace *as);

/* Set item `key` (0x00-0x1f, or FW_CFG_ARCH_LOCAL + 0x00-0x1f) to a copy of data;
 * replaces any previous value. Keys 0x00, 0x01 and 0x19 belong to the device. */
void fw_cfg_add_bytes(DeviceState *dev, uint16_t key, const void *data, size_t len);
/* Integers are stored little-endian. */
void fw_cfg_add_i16(DeviceState *dev, uint16_t key, uint16_t value);
void fw_cfg_add_i32(DeviceState *dev, uint16_t key, uint32_t value);
void fw_cfg_add_i64(DeviceState *dev, uint16_t key, uint64_t value);
/* A NUL-terminated string, terminator included. */
void fw_cfg_add_string(DeviceState *dev, uint16_t key, const char *value);
/* Add (or replace) a named file (name shorter than 56 bytes); files are numbered from
 * FW_CFG_FILE_FIRST in name order. False (and a warning) if the name is too long or
 * the directory is full. */
bool fw_cfg_add_file(DeviceState *dev, const char *name, const void *data, size_t len);
/* Replace an existing file's contents; false if there is no such file. */
bool fw_cfg_modify_file(DeviceState *dev, const char *name, const void *data, size_t len);
/* The key a file has now (0 if absent). */
uint16_t fw_cfg_file_key(DeviceState *dev, const char *name);

#endif

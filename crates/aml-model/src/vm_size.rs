//! A catalog of Azure VM sizes: vCPUs, memory and accelerators, looked up by name ignoring case.
//!
//! Where the figures come from: Microsoft's published VM size documentation, "Sizes for virtual
//! machines in Azure" (learn.microsoft.com/azure/virtual-machines/sizes, one page per series,
//! the "Basics" and "Accelerators" tables), as read in March 2026. Retired series (NC, NCv2, ND,
//! NV) come from the last published versions of their pages. `Standard_PB6s`, the FPGA size Azure
//! Machine Learning used for hardware-accelerated models, has no size page: its vCPU count comes
//! from its name and its memory is left unknown. The authoritative live source is the service
//! itself: `az vm list-sizes --location <region>` (or `az vm list-skus`), which also says which
//! sizes a region offers.
//!
//! Conventions:
//! - Memory is GiB as the size pages print it.
//! - `gpus` counts the GPU devices the VM sees. NC (K80) and NV (M60) count half-cards, as the
//!   original pages did ("1 GPU = one-half K80 card"), so `Standard_NC6` has 1 and `Standard_NC12`
//!   has 2. NVv4 sizes get a share of one AMD MI25 (1/8 to 1/1); the VM sees one partitioned GPU,
//!   so `gpus` is 1 and [`VmSize::accelerator`] names the share.
//! - FPGA sizes have `fpgas > 0` and no GPUs; [`VmSize::is_accelerated`] covers both kinds.
//!
//! [`lookup`] is allocation-free (binary search over a table sorted by lower-cased name), so it
//! can sit in a validation hot path.
//!
//! ```
//! use aml_model::vm_size;
//!
//! let d3 = vm_size::lookup("standard_d3_v2").unwrap();
//! assert_eq!((d3.name, d3.vcpus), ("Standard_D3_v2", 4));
//! assert!(vm_size::lookup("Standard_NC6s_v3").unwrap().is_gpu());
//! assert!(vm_size::lookup("Standard_PB6s").unwrap().is_accelerated());
//! assert!(vm_size::lookup("Standard_Z99").is_none());
//! ```

use std::cmp::Ordering;
use std::fmt;

/// One VM size.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct VmSize {
    /// The size's name as Azure spells it, e.g. `Standard_D3_v2`.
    pub name: &'static str,
    /// The series, e.g. `Dv2`, `NCasT4_v3`.
    pub family: &'static str,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in GiB; `None` where no figure is published.
    pub memory_gib: Option<f32>,
    /// GPU devices the VM sees (see the module docs for NC, NV and NVv4).
    pub gpus: u32,
    /// FPGA devices.
    pub fpgas: u32,
    /// The accelerator model, e.g. `NVIDIA T4` or `AMD MI25 (1/8 partition)`.
    pub accelerator: Option<&'static str>,
}

impl VmSize {
    /// Whether the size has at least one GPU (including a partition of one).
    pub fn is_gpu(&self) -> bool {
        self.gpus > 0
    }

    /// Whether the size has an FPGA.
    pub fn is_fpga(&self) -> bool {
        self.fpgas > 0
    }

    /// Whether the size carries any accelerator, GPU or FPGA: such nodes must be chosen when the
    /// cluster is created (R12).
    pub fn is_accelerated(&self) -> bool {
        self.is_gpu() || self.is_fpga()
    }
}

impl fmt::Display for VmSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} vCPUs", self.name, self.vcpus)?;
        if let Some(gib) = self.memory_gib {
            write!(f, ", {gib} GiB")?;
        }
        if let Some(accelerator) = self.accelerator {
            match (self.gpus, self.fpgas) {
                (0, n) | (n, 0) if n > 1 => write!(f, ", {n} x {accelerator}")?,
                _ => write!(f, ", {accelerator}")?,
            }
        }
        f.write_str(")")
    }
}

/// The size called `name` (compared ignoring ASCII case), if the catalog has it.
///
/// A size missing here may still exist: the catalog covers the common families, and Azure adds
/// sizes; `az vm list-sizes` is authoritative.
pub fn lookup(name: &str) -> Option<&'static VmSize> {
    // Every entry starts with the prefix (a test checks it): compare only what follows.
    let rest = name.get(PREFIX.len()..)?;
    if !name.get(..PREFIX.len())?.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    CATALOG
        .binary_search_by(|probe| {
            cmp_ignore_ascii_case(probe.name.get(PREFIX.len()..).unwrap_or_default(), rest)
        })
        .ok()
        .and_then(|index| CATALOG.get(index))
}

/// The prefix every catalog name shares.
const PREFIX: &str = "Standard_";

/// Lexicographic order of the ASCII-lower-cased bytes, without allocating.
fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    for (x, y) in a.bytes().zip(b.bytes()) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

const fn cpu(name: &'static str, family: &'static str, vcpus: u32, memory_gib: f32) -> VmSize {
    VmSize {
        name,
        family,
        vcpus,
        memory_gib: Some(memory_gib),
        gpus: 0,
        fpgas: 0,
        accelerator: None,
    }
}

const fn gpu(
    name: &'static str,
    family: &'static str,
    vcpus: u32,
    memory_gib: f32,
    gpus: u32,
    accelerator: &'static str,
) -> VmSize {
    VmSize {
        name,
        family,
        vcpus,
        memory_gib: Some(memory_gib),
        gpus,
        fpgas: 0,
        accelerator: Some(accelerator),
    }
}

const fn fpga(
    name: &'static str,
    family: &'static str,
    vcpus: u32,
    memory_gib: Option<f32>,
    fpgas: u32,
    accelerator: &'static str,
) -> VmSize {
    VmSize {
        name,
        family,
        vcpus,
        memory_gib,
        gpus: 0,
        fpgas,
        accelerator: Some(accelerator),
    }
}

/// Sorted by name ignoring ASCII case (a test checks it): [`lookup`] relies on the order.
#[rustfmt::skip]
static CATALOG: &[VmSize] = &[
    cpu("Standard_A1_v2", "Av2", 1, 2.0),
    cpu("Standard_A2_v2", "Av2", 2, 4.0),
    cpu("Standard_A2m_v2", "Av2", 2, 16.0),
    cpu("Standard_A4_v2", "Av2", 4, 8.0),
    cpu("Standard_A4m_v2", "Av2", 4, 32.0),
    cpu("Standard_A8_v2", "Av2", 8, 16.0),
    cpu("Standard_A8m_v2", "Av2", 8, 64.0),
    cpu("Standard_B12ms", "B", 12, 48.0),
    cpu("Standard_B16als_v2", "Basv2", 16, 32.0),
    cpu("Standard_B16as_v2", "Basv2", 16, 64.0),
    cpu("Standard_B16ls_v2", "Bsv2", 16, 32.0),
    cpu("Standard_B16ms", "B", 16, 64.0),
    cpu("Standard_B16s_v2", "Bsv2", 16, 64.0),
    cpu("Standard_B1ls", "B", 1, 0.5),
    cpu("Standard_B1ms", "B", 1, 2.0),
    cpu("Standard_B1s", "B", 1, 1.0),
    cpu("Standard_B20ms", "B", 20, 80.0),
    cpu("Standard_B2als_v2", "Basv2", 2, 4.0),
    cpu("Standard_B2as_v2", "Basv2", 2, 8.0),
    cpu("Standard_B2ats_v2", "Basv2", 2, 1.0),
    cpu("Standard_B2ls_v2", "Bsv2", 2, 4.0),
    cpu("Standard_B2ms", "B", 2, 8.0),
    cpu("Standard_B2s", "B", 2, 4.0),
    cpu("Standard_B2s_v2", "Bsv2", 2, 8.0),
    cpu("Standard_B2ts_v2", "Bsv2", 2, 1.0),
    cpu("Standard_B32als_v2", "Basv2", 32, 64.0),
    cpu("Standard_B32as_v2", "Basv2", 32, 128.0),
    cpu("Standard_B32ls_v2", "Bsv2", 32, 64.0),
    cpu("Standard_B32s_v2", "Bsv2", 32, 128.0),
    cpu("Standard_B4als_v2", "Basv2", 4, 8.0),
    cpu("Standard_B4as_v2", "Basv2", 4, 16.0),
    cpu("Standard_B4ls_v2", "Bsv2", 4, 8.0),
    cpu("Standard_B4ms", "B", 4, 16.0),
    cpu("Standard_B4s_v2", "Bsv2", 4, 16.0),
    cpu("Standard_B8als_v2", "Basv2", 8, 16.0),
    cpu("Standard_B8as_v2", "Basv2", 8, 32.0),
    cpu("Standard_B8ls_v2", "Bsv2", 8, 16.0),
    cpu("Standard_B8ms", "B", 8, 32.0),
    cpu("Standard_B8s_v2", "Bsv2", 8, 32.0),
    cpu("Standard_D11_v2", "Dv2", 2, 14.0),
    cpu("Standard_D12_v2", "Dv2", 4, 28.0),
    cpu("Standard_D13_v2", "Dv2", 8, 56.0),
    cpu("Standard_D14_v2", "Dv2", 16, 112.0),
    cpu("Standard_D15_v2", "Dv2", 20, 140.0),
    cpu("Standard_D16_v3", "Dv3", 16, 64.0),
    cpu("Standard_D16_v4", "Dv4", 16, 64.0),
    cpu("Standard_D16_v5", "Dv5", 16, 64.0),
    cpu("Standard_D16a_v4", "Dav4", 16, 64.0),
    cpu("Standard_D16ads_v5", "Dadsv5", 16, 64.0),
    cpu("Standard_D16as_v4", "Dasv4", 16, 64.0),
    cpu("Standard_D16as_v5", "Dasv5", 16, 64.0),
    cpu("Standard_D16d_v4", "Ddv4", 16, 64.0),
    cpu("Standard_D16d_v5", "Ddv5", 16, 64.0),
    cpu("Standard_D16ds_v4", "Ddsv4", 16, 64.0),
    cpu("Standard_D16ds_v5", "Ddsv5", 16, 64.0),
    cpu("Standard_D16s_v3", "Dsv3", 16, 64.0),
    cpu("Standard_D16s_v4", "Dsv4", 16, 64.0),
    cpu("Standard_D16s_v5", "Dsv5", 16, 64.0),
    cpu("Standard_D1_v2", "Dv2", 1, 3.5),
    cpu("Standard_D2_v2", "Dv2", 2, 7.0),
    cpu("Standard_D2_v3", "Dv3", 2, 8.0),
    cpu("Standard_D2_v4", "Dv4", 2, 8.0),
    cpu("Standard_D2_v5", "Dv5", 2, 8.0),
    cpu("Standard_D2a_v4", "Dav4", 2, 8.0),
    cpu("Standard_D2ads_v5", "Dadsv5", 2, 8.0),
    cpu("Standard_D2as_v4", "Dasv4", 2, 8.0),
    cpu("Standard_D2as_v5", "Dasv5", 2, 8.0),
    cpu("Standard_D2d_v4", "Ddv4", 2, 8.0),
    cpu("Standard_D2d_v5", "Ddv5", 2, 8.0),
    cpu("Standard_D2ds_v4", "Ddsv4", 2, 8.0),
    cpu("Standard_D2ds_v5", "Ddsv5", 2, 8.0),
    cpu("Standard_D2s_v3", "Dsv3", 2, 8.0),
    cpu("Standard_D2s_v4", "Dsv4", 2, 8.0),
    cpu("Standard_D2s_v5", "Dsv5", 2, 8.0),
    cpu("Standard_D32_v3", "Dv3", 32, 128.0),
    cpu("Standard_D32_v4", "Dv4", 32, 128.0),
    cpu("Standard_D32_v5", "Dv5", 32, 128.0),
    cpu("Standard_D32a_v4", "Dav4", 32, 128.0),
    cpu("Standard_D32ads_v5", "Dadsv5", 32, 128.0),
    cpu("Standard_D32as_v4", "Dasv4", 32, 128.0),
    cpu("Standard_D32as_v5", "Dasv5", 32, 128.0),
    cpu("Standard_D32d_v4", "Ddv4", 32, 128.0),
    cpu("Standard_D32d_v5", "Ddv5", 32, 128.0),
    cpu("Standard_D32ds_v4", "Ddsv4", 32, 128.0),
    cpu("Standard_D32ds_v5", "Ddsv5", 32, 128.0),
    cpu("Standard_D32s_v3", "Dsv3", 32, 128.0),
    cpu("Standard_D32s_v4", "Dsv4", 32, 128.0),
    cpu("Standard_D32s_v5", "Dsv5", 32, 128.0),
    cpu("Standard_D3_v2", "Dv2", 4, 14.0),
    cpu("Standard_D48_v3", "Dv3", 48, 192.0),
    cpu("Standard_D48_v4", "Dv4", 48, 192.0),
    cpu("Standard_D48_v5", "Dv5", 48, 192.0),
    cpu("Standard_D48a_v4", "Dav4", 48, 192.0),
    cpu("Standard_D48ads_v5", "Dadsv5", 48, 192.0),
    cpu("Standard_D48as_v4", "Dasv4", 48, 192.0),
    cpu("Standard_D48as_v5", "Dasv5", 48, 192.0),
    cpu("Standard_D48d_v4", "Ddv4", 48, 192.0),
    cpu("Standard_D48d_v5", "Ddv5", 48, 192.0),
    cpu("Standard_D48ds_v4", "Ddsv4", 48, 192.0),
    cpu("Standard_D48ds_v5", "Ddsv5", 48, 192.0),
    cpu("Standard_D48s_v3", "Dsv3", 48, 192.0),
    cpu("Standard_D48s_v4", "Dsv4", 48, 192.0),
    cpu("Standard_D48s_v5", "Dsv5", 48, 192.0),
    cpu("Standard_D4_v2", "Dv2", 8, 28.0),
    cpu("Standard_D4_v3", "Dv3", 4, 16.0),
    cpu("Standard_D4_v4", "Dv4", 4, 16.0),
    cpu("Standard_D4_v5", "Dv5", 4, 16.0),
    cpu("Standard_D4a_v4", "Dav4", 4, 16.0),
    cpu("Standard_D4ads_v5", "Dadsv5", 4, 16.0),
    cpu("Standard_D4as_v4", "Dasv4", 4, 16.0),
    cpu("Standard_D4as_v5", "Dasv5", 4, 16.0),
    cpu("Standard_D4d_v4", "Ddv4", 4, 16.0),
    cpu("Standard_D4d_v5", "Ddv5", 4, 16.0),
    cpu("Standard_D4ds_v4", "Ddsv4", 4, 16.0),
    cpu("Standard_D4ds_v5", "Ddsv5", 4, 16.0),
    cpu("Standard_D4s_v3", "Dsv3", 4, 16.0),
    cpu("Standard_D4s_v4", "Dsv4", 4, 16.0),
    cpu("Standard_D4s_v5", "Dsv5", 4, 16.0),
    cpu("Standard_D5_v2", "Dv2", 16, 56.0),
    cpu("Standard_D64_v3", "Dv3", 64, 256.0),
    cpu("Standard_D64_v4", "Dv4", 64, 256.0),
    cpu("Standard_D64_v5", "Dv5", 64, 256.0),
    cpu("Standard_D64a_v4", "Dav4", 64, 256.0),
    cpu("Standard_D64ads_v5", "Dadsv5", 64, 256.0),
    cpu("Standard_D64as_v4", "Dasv4", 64, 256.0),
    cpu("Standard_D64as_v5", "Dasv5", 64, 256.0),
    cpu("Standard_D64d_v4", "Ddv4", 64, 256.0),
    cpu("Standard_D64d_v5", "Ddv5", 64, 256.0),
    cpu("Standard_D64ds_v4", "Ddsv4", 64, 256.0),
    cpu("Standard_D64ds_v5", "Ddsv5", 64, 256.0),
    cpu("Standard_D64s_v3", "Dsv3", 64, 256.0),
    cpu("Standard_D64s_v4", "Dsv4", 64, 256.0),
    cpu("Standard_D64s_v5", "Dsv5", 64, 256.0),
    cpu("Standard_D8_v3", "Dv3", 8, 32.0),
    cpu("Standard_D8_v4", "Dv4", 8, 32.0),
    cpu("Standard_D8_v5", "Dv5", 8, 32.0),
    cpu("Standard_D8a_v4", "Dav4", 8, 32.0),
    cpu("Standard_D8ads_v5", "Dadsv5", 8, 32.0),
    cpu("Standard_D8as_v4", "Dasv4", 8, 32.0),
    cpu("Standard_D8as_v5", "Dasv5", 8, 32.0),
    cpu("Standard_D8d_v4", "Ddv4", 8, 32.0),
    cpu("Standard_D8d_v5", "Ddv5", 8, 32.0),
    cpu("Standard_D8ds_v4", "Ddsv4", 8, 32.0),
    cpu("Standard_D8ds_v5", "Ddsv5", 8, 32.0),
    cpu("Standard_D8s_v3", "Dsv3", 8, 32.0),
    cpu("Standard_D8s_v4", "Dsv4", 8, 32.0),
    cpu("Standard_D8s_v5", "Dsv5", 8, 32.0),
    cpu("Standard_D96_v5", "Dv5", 96, 384.0),
    cpu("Standard_D96a_v4", "Dav4", 96, 384.0),
    cpu("Standard_D96ads_v5", "Dadsv5", 96, 384.0),
    cpu("Standard_D96as_v4", "Dasv4", 96, 384.0),
    cpu("Standard_D96as_v5", "Dasv5", 96, 384.0),
    cpu("Standard_D96d_v5", "Ddv5", 96, 384.0),
    cpu("Standard_D96ds_v5", "Ddsv5", 96, 384.0),
    cpu("Standard_D96s_v5", "Dsv5", 96, 384.0),
    cpu("Standard_DS11_v2", "DSv2", 2, 14.0),
    cpu("Standard_DS12_v2", "DSv2", 4, 28.0),
    cpu("Standard_DS13_v2", "DSv2", 8, 56.0),
    cpu("Standard_DS14_v2", "DSv2", 16, 112.0),
    cpu("Standard_DS15_v2", "DSv2", 20, 140.0),
    cpu("Standard_DS1_v2", "DSv2", 1, 3.5),
    cpu("Standard_DS2_v2", "DSv2", 2, 7.0),
    cpu("Standard_DS3_v2", "DSv2", 4, 14.0),
    cpu("Standard_DS4_v2", "DSv2", 8, 28.0),
    cpu("Standard_DS5_v2", "DSv2", 16, 56.0),
    cpu("Standard_E104i_v5", "Ev5", 104, 672.0),
    cpu("Standard_E104id_v5", "Edv5", 104, 672.0),
    cpu("Standard_E104ids_v5", "Edsv5", 104, 672.0),
    cpu("Standard_E104is_v5", "Esv5", 104, 672.0),
    cpu("Standard_E112ias_v5", "Easv5", 112, 672.0),
    cpu("Standard_E16_v3", "Ev3", 16, 128.0),
    cpu("Standard_E16_v4", "Ev4", 16, 128.0),
    cpu("Standard_E16_v5", "Ev5", 16, 128.0),
    cpu("Standard_E16as_v5", "Easv5", 16, 128.0),
    cpu("Standard_E16d_v4", "Edv4", 16, 128.0),
    cpu("Standard_E16d_v5", "Edv5", 16, 128.0),
    cpu("Standard_E16ds_v4", "Edsv4", 16, 128.0),
    cpu("Standard_E16ds_v5", "Edsv5", 16, 128.0),
    cpu("Standard_E16s_v3", "Esv3", 16, 128.0),
    cpu("Standard_E16s_v4", "Esv4", 16, 128.0),
    cpu("Standard_E16s_v5", "Esv5", 16, 128.0),
    cpu("Standard_E20_v3", "Ev3", 20, 160.0),
    cpu("Standard_E20_v4", "Ev4", 20, 160.0),
    cpu("Standard_E20_v5", "Ev5", 20, 160.0),
    cpu("Standard_E20as_v5", "Easv5", 20, 160.0),
    cpu("Standard_E20d_v4", "Edv4", 20, 160.0),
    cpu("Standard_E20d_v5", "Edv5", 20, 160.0),
    cpu("Standard_E20ds_v4", "Edsv4", 20, 160.0),
    cpu("Standard_E20ds_v5", "Edsv5", 20, 160.0),
    cpu("Standard_E20s_v3", "Esv3", 20, 160.0),
    cpu("Standard_E20s_v4", "Esv4", 20, 160.0),
    cpu("Standard_E20s_v5", "Esv5", 20, 160.0),
    cpu("Standard_E2_v3", "Ev3", 2, 16.0),
    cpu("Standard_E2_v4", "Ev4", 2, 16.0),
    cpu("Standard_E2_v5", "Ev5", 2, 16.0),
    cpu("Standard_E2as_v5", "Easv5", 2, 16.0),
    cpu("Standard_E2d_v4", "Edv4", 2, 16.0),
    cpu("Standard_E2d_v5", "Edv5", 2, 16.0),
    cpu("Standard_E2ds_v4", "Edsv4", 2, 16.0),
    cpu("Standard_E2ds_v5", "Edsv5", 2, 16.0),
    cpu("Standard_E2s_v3", "Esv3", 2, 16.0),
    cpu("Standard_E2s_v4", "Esv4", 2, 16.0),
    cpu("Standard_E2s_v5", "Esv5", 2, 16.0),
    cpu("Standard_E32_v3", "Ev3", 32, 256.0),
    cpu("Standard_E32_v4", "Ev4", 32, 256.0),
    cpu("Standard_E32_v5", "Ev5", 32, 256.0),
    cpu("Standard_E32as_v5", "Easv5", 32, 256.0),
    cpu("Standard_E32d_v4", "Edv4", 32, 256.0),
    cpu("Standard_E32d_v5", "Edv5", 32, 256.0),
    cpu("Standard_E32ds_v4", "Edsv4", 32, 256.0),
    cpu("Standard_E32ds_v5", "Edsv5", 32, 256.0),
    cpu("Standard_E32s_v3", "Esv3", 32, 256.0),
    cpu("Standard_E32s_v4", "Esv4", 32, 256.0),
    cpu("Standard_E32s_v5", "Esv5", 32, 256.0),
    cpu("Standard_E48_v3", "Ev3", 48, 384.0),
    cpu("Standard_E48_v4", "Ev4", 48, 384.0),
    cpu("Standard_E48_v5", "Ev5", 48, 384.0),
    cpu("Standard_E48as_v5", "Easv5", 48, 384.0),
    cpu("Standard_E48d_v4", "Edv4", 48, 384.0),
    cpu("Standard_E48d_v5", "Edv5", 48, 384.0),
    cpu("Standard_E48ds_v4", "Edsv4", 48, 384.0),
    cpu("Standard_E48ds_v5", "Edsv5", 48, 384.0),
    cpu("Standard_E48s_v3", "Esv3", 48, 384.0),
    cpu("Standard_E48s_v4", "Esv4", 48, 384.0),
    cpu("Standard_E48s_v5", "Esv5", 48, 384.0),
    cpu("Standard_E4_v3", "Ev3", 4, 32.0),
    cpu("Standard_E4_v4", "Ev4", 4, 32.0),
    cpu("Standard_E4_v5", "Ev5", 4, 32.0),
    cpu("Standard_E4as_v5", "Easv5", 4, 32.0),
    cpu("Standard_E4d_v4", "Edv4", 4, 32.0),
    cpu("Standard_E4d_v5", "Edv5", 4, 32.0),
    cpu("Standard_E4ds_v4", "Edsv4", 4, 32.0),
    cpu("Standard_E4ds_v5", "Edsv5", 4, 32.0),
    cpu("Standard_E4s_v3", "Esv3", 4, 32.0),
    cpu("Standard_E4s_v4", "Esv4", 4, 32.0),
    cpu("Standard_E4s_v5", "Esv5", 4, 32.0),
    cpu("Standard_E64_v3", "Ev3", 64, 432.0),
    cpu("Standard_E64_v4", "Ev4", 64, 504.0),
    cpu("Standard_E64_v5", "Ev5", 64, 512.0),
    cpu("Standard_E64as_v5", "Easv5", 64, 512.0),
    cpu("Standard_E64d_v4", "Edv4", 64, 504.0),
    cpu("Standard_E64d_v5", "Edv5", 64, 512.0),
    cpu("Standard_E64ds_v4", "Edsv4", 64, 504.0),
    cpu("Standard_E64ds_v5", "Edsv5", 64, 512.0),
    cpu("Standard_E64i_v3", "Ev3", 64, 432.0),
    cpu("Standard_E64is_v3", "Esv3", 64, 432.0),
    cpu("Standard_E64s_v3", "Esv3", 64, 432.0),
    cpu("Standard_E64s_v4", "Esv4", 64, 504.0),
    cpu("Standard_E64s_v5", "Esv5", 64, 512.0),
    cpu("Standard_E80ids_v4", "Edsv4", 80, 504.0),
    cpu("Standard_E80is_v4", "Esv4", 80, 504.0),
    cpu("Standard_E8_v3", "Ev3", 8, 64.0),
    cpu("Standard_E8_v4", "Ev4", 8, 64.0),
    cpu("Standard_E8_v5", "Ev5", 8, 64.0),
    cpu("Standard_E8as_v5", "Easv5", 8, 64.0),
    cpu("Standard_E8d_v4", "Edv4", 8, 64.0),
    cpu("Standard_E8d_v5", "Edv5", 8, 64.0),
    cpu("Standard_E8ds_v4", "Edsv4", 8, 64.0),
    cpu("Standard_E8ds_v5", "Edsv5", 8, 64.0),
    cpu("Standard_E8s_v3", "Esv3", 8, 64.0),
    cpu("Standard_E8s_v4", "Esv4", 8, 64.0),
    cpu("Standard_E8s_v5", "Esv5", 8, 64.0),
    cpu("Standard_E96_v5", "Ev5", 96, 672.0),
    cpu("Standard_E96as_v5", "Easv5", 96, 672.0),
    cpu("Standard_E96d_v5", "Edv5", 96, 672.0),
    cpu("Standard_E96ds_v5", "Edsv5", 96, 672.0),
    cpu("Standard_E96s_v5", "Esv5", 96, 672.0),
    cpu("Standard_F1", "F", 1, 2.0),
    cpu("Standard_F16", "F", 16, 32.0),
    cpu("Standard_F16s", "Fs", 16, 32.0),
    cpu("Standard_F16s_v2", "Fsv2", 16, 32.0),
    cpu("Standard_F1s", "Fs", 1, 2.0),
    cpu("Standard_F2", "F", 2, 4.0),
    cpu("Standard_F2s", "Fs", 2, 4.0),
    cpu("Standard_F2s_v2", "Fsv2", 2, 4.0),
    cpu("Standard_F32s_v2", "Fsv2", 32, 64.0),
    cpu("Standard_F4", "F", 4, 8.0),
    cpu("Standard_F48s_v2", "Fsv2", 48, 96.0),
    cpu("Standard_F4s", "Fs", 4, 8.0),
    cpu("Standard_F4s_v2", "Fsv2", 4, 8.0),
    cpu("Standard_F64s_v2", "Fsv2", 64, 128.0),
    cpu("Standard_F72s_v2", "Fsv2", 72, 144.0),
    cpu("Standard_F8", "F", 8, 16.0),
    cpu("Standard_F8s", "Fs", 8, 16.0),
    cpu("Standard_F8s_v2", "Fsv2", 8, 16.0),
    gpu("Standard_NC12", "NC", 12, 112.0, 2, "NVIDIA K80"),
    gpu("Standard_NC12s_v2", "NCv2", 12, 224.0, 2, "NVIDIA P100"),
    gpu("Standard_NC12s_v3", "NCv3", 12, 224.0, 2, "NVIDIA V100"),
    gpu("Standard_NC16as_T4_v3", "NCasT4_v3", 16, 110.0, 1, "NVIDIA T4"),
    gpu("Standard_NC24", "NC", 24, 224.0, 4, "NVIDIA K80"),
    gpu("Standard_NC24ads_A100_v4", "NC_A100_v4", 24, 220.0, 1, "NVIDIA A100 80GB"),
    gpu("Standard_NC24r", "NC", 24, 224.0, 4, "NVIDIA K80"),
    gpu("Standard_NC24rs_v2", "NCv2", 24, 448.0, 4, "NVIDIA P100"),
    gpu("Standard_NC24rs_v3", "NCv3", 24, 448.0, 4, "NVIDIA V100"),
    gpu("Standard_NC24s_v2", "NCv2", 24, 448.0, 4, "NVIDIA P100"),
    gpu("Standard_NC24s_v3", "NCv3", 24, 448.0, 4, "NVIDIA V100"),
    gpu("Standard_NC48ads_A100_v4", "NC_A100_v4", 48, 440.0, 2, "NVIDIA A100 80GB"),
    gpu("Standard_NC4as_T4_v3", "NCasT4_v3", 4, 28.0, 1, "NVIDIA T4"),
    gpu("Standard_NC6", "NC", 6, 56.0, 1, "NVIDIA K80"),
    gpu("Standard_NC64as_T4_v3", "NCasT4_v3", 64, 440.0, 4, "NVIDIA T4"),
    gpu("Standard_NC6s_v2", "NCv2", 6, 112.0, 1, "NVIDIA P100"),
    gpu("Standard_NC6s_v3", "NCv3", 6, 112.0, 1, "NVIDIA V100"),
    gpu("Standard_NC8as_T4_v3", "NCasT4_v3", 8, 56.0, 1, "NVIDIA T4"),
    gpu("Standard_NC96ads_A100_v4", "NC_A100_v4", 96, 880.0, 4, "NVIDIA A100 80GB"),
    gpu("Standard_ND12s", "ND", 12, 224.0, 2, "NVIDIA P40"),
    gpu("Standard_ND24rs", "ND", 24, 448.0, 4, "NVIDIA P40"),
    gpu("Standard_ND24s", "ND", 24, 448.0, 4, "NVIDIA P40"),
    gpu("Standard_ND40rs_v2", "NDv2", 40, 672.0, 8, "NVIDIA V100 32GB"),
    gpu("Standard_ND6s", "ND", 6, 112.0, 1, "NVIDIA P40"),
    gpu("Standard_ND96amsr_A100_v4", "NDm_A100_v4", 96, 1900.0, 8, "NVIDIA A100 80GB"),
    gpu("Standard_ND96asr_v4", "NDasrA100_v4", 96, 900.0, 8, "NVIDIA A100 40GB"),
    gpu("Standard_NV12", "NV", 12, 112.0, 2, "NVIDIA M60"),
    gpu("Standard_NV12s_v3", "NVv3", 12, 112.0, 1, "NVIDIA M60"),
    gpu("Standard_NV16as_v4", "NVv4", 16, 56.0, 1, "AMD MI25 (1/2 partition)"),
    gpu("Standard_NV24", "NV", 24, 224.0, 4, "NVIDIA M60"),
    gpu("Standard_NV24s_v3", "NVv3", 24, 224.0, 2, "NVIDIA M60"),
    gpu("Standard_NV32as_v4", "NVv4", 32, 112.0, 1, "AMD MI25"),
    gpu("Standard_NV48s_v3", "NVv3", 48, 448.0, 4, "NVIDIA M60"),
    gpu("Standard_NV4as_v4", "NVv4", 4, 14.0, 1, "AMD MI25 (1/8 partition)"),
    gpu("Standard_NV6", "NV", 6, 56.0, 1, "NVIDIA M60"),
    gpu("Standard_NV8as_v4", "NVv4", 8, 28.0, 1, "AMD MI25 (1/4 partition)"),
    fpga("Standard_PB6s", "PB", 6, None, 1, "Intel FPGA"),
];

#[cfg(test)]
mod tests;

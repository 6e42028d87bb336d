//! Tests of the VM-size catalog.

use super::*;

#[test]
fn d3_v2_is_the_guides_default_with_4_vcpus() {
    let d3 = lookup("Standard_D3_v2").unwrap();
    assert_eq!(d3.vcpus, 4);
    assert_eq!(d3.memory_gib, Some(14.0));
    assert_eq!(d3.family, "Dv2");
    assert!(!d3.is_accelerated());
    assert_eq!(d3.to_string(), "Standard_D3_v2 (4 vCPUs, 14 GiB)");
}

#[test]
fn lookup_ignores_case() {
    for spelling in ["standard_d3_v2", "STANDARD_D3_V2", "Standard_d3_V2"] {
        assert_eq!(
            lookup(spelling).map(|s| s.name),
            Some("Standard_D3_v2"),
            "{spelling}"
        );
    }
    assert_eq!(
        lookup("standard_nc4as_t4_v3").map(|s| s.name),
        Some("Standard_NC4as_T4_v3")
    );
}

#[test]
fn every_entry_is_found_under_any_case() {
    for size in CATALOG {
        assert_eq!(lookup(size.name), Some(size));
        assert_eq!(lookup(&size.name.to_ascii_lowercase()), Some(size));
        assert_eq!(lookup(&size.name.to_ascii_uppercase()), Some(size));
    }
}

#[test]
fn unknown_names_are_none() {
    for name in [
        "",
        "Standard_D3",
        "Standard_D3_v2 ",
        "Standard_D3_v22",
        "D3_v2",
        "Standard_Z99",
        "Standard_D3_v2\0",
        "Standard_",
        "Standard",
        "Basic_A1",
        "Standardé_D3_v2",
    ] {
        assert!(lookup(name).is_none(), "{name:?}");
    }
}

#[test]
fn gpu_sizes_are_flagged() {
    let v100 = lookup("Standard_NC6s_v3").unwrap();
    assert!(v100.is_gpu() && v100.is_accelerated());
    assert_eq!((v100.gpus, v100.accelerator), (1, Some("NVIDIA V100")));
    let t4 = lookup("Standard_NC64as_T4_v3").unwrap();
    assert_eq!(
        (t4.vcpus, t4.gpus, t4.accelerator),
        (64, 4, Some("NVIDIA T4"))
    );
    assert_eq!(
        t4.to_string(),
        "Standard_NC64as_T4_v3 (64 vCPUs, 440 GiB, 4 x NVIDIA T4)"
    );
    assert_eq!(lookup("Standard_ND96asr_v4").unwrap().gpus, 8);
    // a fractional AMD GPU still counts as a GPU
    let mi25 = lookup("Standard_NV4as_v4").unwrap();
    assert!(mi25.is_gpu());
    assert_eq!(mi25.accelerator, Some("AMD MI25 (1/8 partition)"));
}

#[test]
fn fpga_sizes_are_accelerated_but_not_gpu() {
    let pb6s = lookup("standard_pb6s").unwrap();
    assert!(pb6s.is_fpga() && pb6s.is_accelerated() && !pb6s.is_gpu());
    assert_eq!(pb6s.vcpus, 6);
    assert_eq!(pb6s.to_string(), "Standard_PB6s (6 vCPUs, Intel FPGA)");
}

#[test]
fn the_catalog_is_sorted_without_duplicates() {
    for pair in CATALOG.windows(2) {
        if let [a, b] = pair {
            assert_eq!(
                cmp_ignore_ascii_case(a.name, b.name),
                Ordering::Less,
                "{} must sort before {}",
                a.name,
                b.name
            );
        }
    }
}

#[test]
fn entries_are_consistent() {
    for size in CATALOG {
        assert!(size.name.starts_with(PREFIX), "{}", size.name);
        assert!(size.vcpus > 0, "{}", size.name);
        assert!(size.memory_gib.is_none_or(|m| m > 0.0), "{}", size.name);
        assert_eq!(
            size.accelerator.is_some(),
            size.is_accelerated(),
            "{}",
            size.name
        );
    }
}

#[test]
fn the_families_people_deploy_on_are_covered() {
    for family in [
        "Av2",
        "B",
        "Bsv2",
        "Basv2",
        "Dv2",
        "DSv2",
        "Dv3",
        "Dsv3",
        "Dv4",
        "Dsv4",
        "Ddv4",
        "Ddsv4",
        "Dav4",
        "Dasv4",
        "Dv5",
        "Dsv5",
        "Ddv5",
        "Ddsv5",
        "Dasv5",
        "Dadsv5",
        "Ev3",
        "Esv3",
        "Ev4",
        "Esv4",
        "Edv4",
        "Edsv4",
        "Ev5",
        "Esv5",
        "Edv5",
        "Edsv5",
        "Easv5",
        "F",
        "Fs",
        "Fsv2",
        "NC",
        "NCv2",
        "NCv3",
        "NCasT4_v3",
        "NC_A100_v4",
        "ND",
        "NDv2",
        "NDasrA100_v4",
        "NDm_A100_v4",
        "NV",
        "NVv3",
        "NVv4",
        "PB",
    ] {
        assert!(
            CATALOG.iter().any(|s| s.family == family),
            "no {family} sizes"
        );
    }
}

//! What the machine did during a run, from /proc: the CPU time of processes (to tell
//! the benchmark's own from what other processes took: a build next door, steal
//! time) and a server's peak memory.

/// Clock ticks per second (`getconf CLK_TCK`).
pub fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// utime + stime + cutime + cstime of a process (its own and its reaped children's
/// CPU time), in clock ticks; 0 when it is gone.
pub fn ticks_of(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // After "pid (comm) ": state is field 3, utime..cstime are fields 14..17.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    rest.split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum()
}

/// The machine's busy CPU time (user, nice, system, irq, softirq, steal), in ticks.
pub fn cpu_busy() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|line| line.starts_with("cpu ")) else {
        return 0;
    };
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| fields.get(i)).sum()
}

/// Resets a process's peak RSS (VmHWM) to its current RSS, so that the next reading is
/// the peak since now. Best effort: it needs the right to write clear_refs.
pub fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// A process's peak RSS (VmHWM), in kB.
pub fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

/// "N cores, MODEL, M GB RAM".
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(": "))
        .map_or("", |(_, model)| model);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb: f64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0.0);
    format!("{cores} cores, {model}, {:.0} GB RAM", kb / 1_048_576.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_accounted() {
        let pid = std::process::id();
        assert!(peak_rss_kb(pid) > 0);
        // Busy until the process has used a clock tick of CPU (a few ms; at most 5 s of
        // waiting for a core on a busy machine).
        let spin = std::time::Instant::now();
        while ticks_of(pid) == 0 && spin.elapsed() < std::time::Duration::from_secs(5) {
            std::hint::black_box((0..1000).sum::<u64>());
        }
        assert!(ticks_of(pid) > 0 && cpu_busy() > 0);
        assert_eq!(ticks_of(u32::MAX), 0);
    }
}

//! check_mshell_bundles: the OSGi bundles of the net.Console Application Management Server.
use clap::Parser;
use opscheck::checks::mshell_bundles::{self, Options};
use opscheck::cli::CommonArgs;
use opscheck::input::InputArgs;
use opscheck::{CheckResult, Plugin};

/// Checks that every OSGi bundle of the net.Console Application Management
/// Server is Active (`mshell ps`, the Apache Felix shell's list: "They must all
/// be active").
///
/// Runs `mshell ps` (or --command, or reads a captured output with --input).
/// Active is OK; Starting and Stopping are WARNING; Resolved, Installed and any
/// other state CRITICAL, each bundle named by id, name and state (with its start
/// level when it is above the framework's). A fragment never becomes Active: a
/// Resolved fragment is attached to its host and OK, an Installed one is not
/// attached (CRITICAL). Fragments are recognised by the host information on
/// their row (`Hosts: 12`) or named with --fragment. mshell failing, or saying
/// the server does not answer (Connection refused), is CRITICAL; empty or
/// unparsable output is UNKNOWN. Reads the Felix shell's `ps` layout
/// (`[  12] [Active     ] [    4] Name (version)`) and Gogo's `lb` (`12|Active|4|Name`).
#[derive(Parser, Debug)]
#[command(name = "check_mshell_bundles", version)]
struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// The number of bundles there must be (the Escaux guide's SOP has 47): fewer is
    /// CRITICAL (bundles missing), more WARNING
    #[arg(long = "bundles", value_name = "N")]
    bundles: Option<u64>,

    /// A bundle that is a fragment, by name with or without its version (repeatable),
    /// e.g. 'Escaux Logging Config': Resolved is its normal state
    #[arg(long = "fragment", value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    fragments: Vec<String>,

    #[command(flatten)]
    common: CommonArgs,
}

impl Plugin for Args {
    const SERVICE: &'static str = "MSHELL_BUNDLES";

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn check(&self) -> CheckResult {
        mshell_bundles::check(
            &self.input,
            &Options {
                expected: self.bundles,
                fragments: self.fragments.clone(),
            },
        )
    }
}

fn main() {
    opscheck::run::<Args>()
}

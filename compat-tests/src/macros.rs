//! `compat_test!`: one test body, one `#[test]` per implementation.

/// Declares the tests `<body>::c` and `<body>::rust` for the function `fn <body>(&Node)`
/// defined beside it; each runs the body on a fresh node with that implementation (see
/// [`crate::run_test`] for skipping). An optional second argument names a
/// `fn(&mut NodeOpts)` that adjusts the node first (seed CIB, extra daemons, ...).
///
/// ```ignore
/// fn query(node: &Node) { node.run(&["cibadmin", "-Q"]).expect_ok(); }
/// compat_test!(query);
/// fn seeded(opts: &mut NodeOpts) { opts.cib_xml = Some(SEED.into()); }
/// compat_test!(query_seeded_cib, seeded);
/// ```
#[macro_export]
macro_rules! compat_test {
    ($body:ident) => {
        $crate::compat_test!($body, (|_: &mut $crate::NodeOpts| {}));
    };
    ($body:ident, $configure:expr) => {
        mod $body {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn c() {
                $crate::run_test(module_path!(), $crate::ImplKind::C, $configure, |node| {
                    super::$body(node);
                    node.assert_daemons_alive();
                });
            }

            #[test]
            fn rust() {
                $crate::run_test(module_path!(), $crate::ImplKind::Rust, $configure, |node| {
                    super::$body(node);
                    node.assert_daemons_alive();
                });
            }
        }
    };
}

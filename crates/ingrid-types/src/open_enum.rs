//! Enumerations that survive new values from the server.

/// Defines an enumeration of wire strings that also accepts values it does not list.
///
/// GRTgaz adds enumeration values without notice. A closed Rust enum would fail the whole
/// response the day a new value appears; an enum made by this macro decodes it into
/// `Unknown(String)`, keeps it, and writes it back unchanged. Every enumeration of the specs is
/// generated through this macro.
///
/// ```
/// ingrid_types::open_enum! {
///     /// Flow direction.
///     pub enum Flow {
///         /// Into the network.
///         Entry = "ENTRY",
///         /// Out of the network.
///         Exit = "EXIT",
///     }
/// }
///
/// let known: Flow = serde_json::from_str("\"ENTRY\"")?;
/// let new: Flow = serde_json::from_str("\"BIDIRECTIONAL\"")?;
///
/// assert_eq!(known, Flow::Entry);
/// assert_eq!(new, Flow::Unknown("BIDIRECTIONAL".to_owned()));
/// assert!(!new.is_known());
/// assert_eq!(serde_json::to_string(&new)?, "\"BIDIRECTIONAL\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $value:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values the spec does not list decode into `Unknown`, so a new value from the server
        /// never fails a response.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                $variant,
            )*
            /// A value this version of the spec does not list, kept exactly as the server sent
            /// it. Build values with `From<&str>`, which never puts a listed value here.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every value the spec lists, as sent on the wire.
            pub const VALUES: &'static [&'static str] = &[$($value),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// Whether the spec lists this value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::convert::From<&::std::string::String> for $name {
            fn from(value: &::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                let value = <::std::borrow::Cow<'de, str> as $crate::__private::serde::Deserialize>
                    ::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::{DataStatus, Direction};

    #[test]
    fn listed_values_never_land_in_unknown() {
        for value in Direction::VALUES {
            let decoded: Direction = serde_json::from_value(serde_json::json!(value)).unwrap();
            assert!(decoded.is_known(), "{value}");
            assert_eq!(decoded.as_str(), *value);
        }
    }

    #[test]
    fn an_unlisted_value_round_trips_unchanged() {
        let decoded: DataStatus = serde_json::from_str("\"PRELIMINARY\"").unwrap();

        assert_eq!(decoded, DataStatus::Unknown("PRELIMINARY".to_owned()));
        assert_eq!(decoded.to_string(), "PRELIMINARY");
        assert_eq!(serde_json::to_string(&decoded).unwrap(), "\"PRELIMINARY\"");
    }

    #[test]
    fn a_non_string_is_still_an_error() {
        assert!(serde_json::from_str::<Direction>("3").is_err());
    }
}

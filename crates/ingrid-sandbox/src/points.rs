//! The demo contract's network points.
//!
//! Every record that names a point (its schema has a `pointCode` property) is generated once per
//! demo point, so that filters by point, type and direction have something to filter. Three
//! points cover the usual cases: an interconnection with Germany, the virtual trading point and a
//! storage interface.

use serde_json::Value;

/// A network point the demo contract books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DemoPoint {
    /// GRTgaz contractual point code (`pointCode`).
    pub(crate) code: &'static str,
    /// Human-readable name (`pointName`).
    pub(crate) name: &'static str,
    /// Point family (`pointType`), a `PointType` value of common.yaml.
    pub(crate) point_type: &'static str,
    /// EIC of the point (`pointEic`).
    pub(crate) eic: &'static str,
    /// Flow direction the contract uses at the point (`direction`).
    pub(crate) direction: &'static str,
}

/// The demo points, in the order their records appear within a gas day.
pub(crate) const DEMO_POINTS: [DemoPoint; 3] = [
    DemoPoint {
        code: "PR0137",
        name: "Obergailbach",
        point_type: "PIR",
        eic: "21Z000000000039S",
        direction: "ENTRY",
    },
    DemoPoint {
        code: "EG001F",
        name: "PEG",
        point_type: "PEG",
        eic: "21Y0000000001278",
        direction: "EXIT",
    },
    // GRTgaz's own code for this storage point is not public: "ST0286" is made up from its
    // ENTSOG key UGS-00286.
    DemoPoint {
        code: "ST0286",
        name: "Storage Nord-Est (Serene Nord)",
        point_type: "PITS",
        eic: "21Z000000000393A",
        direction: "ENTRY",
    },
];

impl DemoPoint {
    /// The point's value for a record property or query parameter of this name, if it has one.
    pub(crate) fn attribute(&self, name: &str) -> Option<&'static str> {
        match name {
            "pointCode" => Some(self.code),
            "pointName" => Some(self.name),
            "pointType" => Some(self.point_type),
            "pointEic" => Some(self.eic),
            "direction" => Some(self.direction),
            _ => None,
        }
    }

    /// The property names [`DemoPoint::attribute`] knows.
    pub(crate) const ATTRIBUTES: [&'static str; 5] = [
        "pointCode",
        "pointName",
        "pointType",
        "pointEic",
        "direction",
    ];

    /// The query parameters that select points, when a request gives them.
    pub(crate) const FILTERS: [&'static str; 3] = ["pointCode", "pointType", "direction"];

    /// Whether the point passes every point filter in `filters` (`(parameter, value)` pairs).
    pub(crate) fn matches<'a>(
        &self,
        filters: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> bool {
        filters
            .into_iter()
            .all(|(name, wanted)| match self.attribute(name) {
                Some(value) => match wanted {
                    Value::Array(options) => options.iter().any(|option| option == value),
                    other => other == value,
                },
                None => true,
            })
    }
}

//! Subscription plans (no billing: the Owner picks one).

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Plan {
    Free,
    Basic,
    Standard,
    Pro,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 5] = [Plan::Free, Plan::Basic, Plan::Standard, Plan::Pro, Plan::Enterprise];

    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == input.trim())
            .ok_or_else(|| "Choose a plan from the list.".to_owned())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "FREE",
            Plan::Basic => "BASIC",
            Plan::Standard => "STANDARD",
            Plan::Pro => "PRO",
            Plan::Enterprise => "ENTERPRISE",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Basic => "Basic",
            Plan::Standard => "Standard",
            Plan::Pro => "Pro",
            Plan::Enterprise => "Enterprise",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_ordered_by_what_they_include() {
        assert!(Plan::Free < Plan::Standard && Plan::Pro < Plan::Enterprise);
        assert_eq!(Plan::parse("PRO"), Ok(Plan::Pro));
        assert!(Plan::parse("GOLD").is_err());
    }
}

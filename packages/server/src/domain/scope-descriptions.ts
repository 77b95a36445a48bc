/**
 * Short descriptions of the default SMS.CX scopes, served by `GET /admin/v1/scopes`.
 * Scopes of a custom catalogue without an entry here are listed without a description.
 */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  sms: 'Send SMS messages and read their status',
  viber: 'Send Viber messages and read their status',
  whatsapp: 'Send WhatsApp messages and read their status',
  multichannel: 'Send messages over several channels with fallback',
  conversations: 'Read and answer two-way conversations',
  groups: 'Manage contact groups and their contacts',
  templates: 'Manage message templates',
  originators: 'Manage sender IDs (originators)',
  numbers: 'Look up and validate phone numbers',
  reports: 'Read delivery reports and statistics',
  shortlinks: 'Create and manage short links',
  attachments: 'Upload and manage attachments',
  optouts: 'Manage opt-out lists',
  otp: 'Send and verify one-time passwords',
};

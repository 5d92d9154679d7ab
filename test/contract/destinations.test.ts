// Every destination runs the destination contract (destination-contract.ts says how to join).
import { destinationContract } from './destination-contract.ts';
import { csvSubject, tableSubject, webhookSubject, xlsxSubject } from './destination-subjects.ts';

destinationContract(csvSubject());
destinationContract(xlsxSubject());
destinationContract(webhookSubject());
destinationContract(tableSubject('sqlite'));
destinationContract(tableSubject('mysql'));
destinationContract(tableSubject('postgres'));
